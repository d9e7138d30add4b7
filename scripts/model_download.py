"""Downloads a checkpoint for the model command, with the standard library only (a fresh
machine has nothing else): a connect and read timeout, one retry of what may pass on a
second try, the size checked against Content-Length, a progress bar on a terminal. The
file goes to a temporary name in the folder the model will live in, so that a full disk
shows before any export, and nothing is left behind when it fails.
"""
import hashlib
import http.client
import os
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

CHUNK = 1 << 16
# Pause before the retry: long enough for a restarting server or a flapping link.
RETRY_PAUSE_S = 2


class DownloadError(Exception):
    """A failed download, as one line: "URL: reason"."""


class Permanent(Exception):
    """A failure that a second try would not change (404, an HTML page, a full disk)."""


def human(size):
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size} bytes"


class Progress:
    """"  37% 32.1 of 87.0 MB, 5.2 MB/s" rewritten in place on a terminal; silent elsewhere."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.stream = total, stream
        self.active = stream.isatty()
        self.start = self.last = time.monotonic()
        self.done = 0

    def update(self, done):
        self.done = done
        now = time.monotonic()
        if not self.active or (now - self.last < 0.2 and done != self.total):
            return  # at most five redraws a second, and the last one
        self.last = now
        rate = done / max(now - self.start, 1e-6) / 1e6
        share = f"{100 * done // self.total:3d}% {done / 1e6:.1f} of {self.total / 1e6:.1f} MB" if self.total \
            else f"{done / 1e6:.1f} MB"
        self.stream.write(f"\r  {share}, {rate:.1f} MB/s ")
        self.stream.flush()

    def close(self):
        if self.active:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def describe(error, timeout):
    """The reason in a few words, from what urllib, http.client and the OS raise."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        if not isinstance(error.reason, BaseException):
            return str(error.reason)
        error = error.reason
    if isinstance(error, (socket.timeout, TimeoutError)):
        return f"no answer for {timeout:g} s (timed out)"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (nothing listening there?)"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host name ({error.strerror})"
    if isinstance(error, http.client.IncompleteRead):
        return f"the connection closed after {human(len(error.partial))} of the body"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[0].lower() + error.strerror[1:]  # "No space left on device"
    return " ".join(str(error).split()) or type(error).__name__


def write_all(fd, data, name):
    """Writes all of `data` to `fd`; a full disk is Permanent."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except OSError as e:
            raise Permanent(f"cannot write {name}: {describe(e, 0)}") from e


def fetch_once(url, fd, name, timeout, progress_stream):
    """Streams `url` into the file `fd` (named `name` in messages); returns (size, sha256
    hex). Raises Permanent for what a retry would not fix, other exceptions for what it might."""
    request = urllib.request.Request(url, headers={"User-Agent": "smartcrop-model"})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code >= 500 or e.code == 429:
            raise
        raise Permanent(describe(e, timeout)) from e
    with response:
        kind = response.headers.get_content_type()
        if kind in ("text/html", "application/xhtml+xml"):
            raise Permanent(f"the server sent a web page ({kind}), not a checkpoint (a login or error page?)")
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        progress = Progress(expected, progress_stream)
        digest, size = hashlib.sha256(), 0
        try:
            # http.client ends a body cut short without an error: the size check below tells.
            while chunk := response.read(CHUNK):
                write_all(fd, chunk, name)
                digest.update(chunk)
                size += len(chunk)
                progress.update(size)
        finally:
            progress.close()
    if expected is not None and size != expected:
        raise ValueError(f"the body ended after {human(size)} of the {human(expected)} announced")
    if size == 0:
        raise Permanent("the server sent an empty file")
    try:
        os.fsync(fd)
    except OSError as e:
        raise Permanent(f"cannot write {name}: {describe(e, timeout)}") from e
    return size, digest.hexdigest()


def download(url, folder, timeout=30, tries=2, progress_stream=sys.stderr):
    """Downloads `url` into a new temporary file in `folder`; returns (path, size, sha256).
    The caller removes the file. Raises DownloadError naming the URL and the reason (after
    `tries` attempts where another might help), or OSError when `folder` cannot hold a
    file at all (permissions), before any network traffic."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https", "file"):
        raise DownloadError(f"{url}: not an http, https or file URL")
    fd, path = tempfile.mkstemp(dir=folder, prefix=".checkpoint-", suffix=".download")
    try:
        for attempt in range(1, tries + 1):
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            try:
                size, digest = fetch_once(url, fd, folder, timeout, progress_stream)
                return path, size, digest
            except Permanent as e:
                raise DownloadError(f"{url}: {e}") from e
            except (OSError, ValueError, http.client.HTTPException) as e:
                if attempt == tries:
                    tried = f" (tried {tries} times)" if tries > 1 else ""
                    raise DownloadError(f"{url}: {describe(e, timeout)}{tried}") from e
                time.sleep(RETRY_PAUSE_S)
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(fd)
