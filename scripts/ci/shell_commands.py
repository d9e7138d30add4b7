"""The programs a shell script runs: the words a shell would execute, not every word that
happens to name a file in /usr/bin (`git rev-parse HEAD` runs git, not libwww-perl's HEAD).

A command is the first word of a simple command: at the start of a line, after `;`, `&`,
`|`, `&&`, `||`, `(`, `$(`, a backquote, a reserved word that starts a list (`if`, `then`,
`do`, `else`, `while`, `!`, `{`, ...), after variable assignments and redirections; and
the command a wrapper runs (`exec`, `xargs`, `sudo`, `env`, `timeout`, `nohup`, `setsid`,
`nice`, `time`, a `command NAME` that is no `-v` test, `bash -c STRING`, and a function
of the script that runs its arguments with "$@"). Not commands: arguments, the words of
`for ... in`, `case` patterns, `[[ ]]` and `(( ))` tests, here-document bodies, comments,
function names being defined. A variable in command position is followed to its
assignment (`cxx=${CXX:-clang++}` ... `"$cxx"`) or `for` list; an absolute /usr/bin/NAME
counts as NAME.

Uses inside `if command -v NAME ...; then ... fi` (or `type -P`, `hash`; not its `else`)
and after `command -v NAME ... &&` on the same line are guarded: the script works without
the program. A test that stops the script without it (`command -v NAME || exit`,
`if ! command -v NAME; then exit; fi`) is a use. unguarded_commands() returns the rest.
"""
import re

NAME = re.compile(r"[A-Za-z_][\w.+-]*$")
ASSIGNMENT = re.compile(r"[A-Za-z_]\w*(\[[^]]*\])?\+?=")
REDIRECTION = re.compile(r"\d*(<<<|<<-?|<>|>>|>&|<&|>\||[<>])")
DEFAULT = re.compile(r"\$\{[A-Za-z_]\w*:?[-=]([A-Za-z][\w.+-]*)\}")
VARIABLE = re.compile(r'"?\$\{?([A-Za-z_]\w*)\}?"?$')
STARTS_LIST = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time", "$(", "`"}
ENDS = {"fi", "done", "esac", "}", ")"}
OPERATORS = ("&&", "||", ";;", ";&", "|&", "$((", "((", "$(", "))", ";", "&", "|", "(", ")", "\n", "`")
# Wrappers: options to skip (those that take a value are listed with it), then the command.
WRAPPERS = {"exec": "", "nohup": "", "time": "", "builtin": "", "command": "", "sudo": "ugpCDrth",
            "env": "uSC", "xargs": "IinLPdsaE", "nice": "n", "setsid": "", "timeout": "sk", "stdbuf": "ioe",
            "chroot": ""}
GUARDS = {("command", "-v"), ("command", "-V"), ("type", "-P"), ("type", "-p"), ("hash",)}


def tokens(text):
    """Shell tokens: words (quotes kept), operators, "\\n"; comments and here-document
    bodies dropped. Command substitutions inside double quotes come out as their own
    `$(` ... `)` tokens after the word that holds them."""
    out, i, n, heredocs = [], 0, len(text), []
    word, nested = "", []
    def end_word():
        nonlocal word, nested
        if word:
            out.append(word)
        out.extend(nested)
        word, nested = "", []
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            if text[i + 1] != "\n":
                word += text[i:i + 2]
            i += 2
        elif c == "'":
            j = text.find("'", i + 1)
            j = n - 1 if j < 0 else j
            word += text[i:j + 1]
            i = j + 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\":
                    j += 1
                elif text.startswith("$(", j) and not text.startswith("$((", j):
                    k = matching_paren(text, j + 1)
                    nested += ["$("] + tokens(text[j + 2:k]) + [")"]
                    j = k
                j += 1
            word += text[i:j + 1]
            i = j + 1
        elif c == "(" and re.fullmatch(r"[A-Za-z_]\w*\+?=", word):
            j = matching_paren(text, i)  # an array: NAME=(a b c)
            word += text[i:j + 1]
            i = j + 1
        elif c == "$" and text.startswith("${", i):
            j = matching_brace(text, i + 1)
            word += text[i:j + 1]
            i = j + 1
        elif c == "#" and not word:
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif c in " \t":
            end_word()
            i += 1
        elif c == "<" and text.startswith("<<", i) and not text.startswith("<<<", i):
            end_word()
            m = re.match(r"<<-?\s*(['\"]?)([\w.-]+)\1", text[i:])
            if m:
                heredocs.append(m[2])
                i += m.end()
            else:
                i += 2
        else:
            op = next((o for o in OPERATORS if text.startswith(o, i)), None)
            if op and not (op == "(" and word and word[-1] in "@?*+!"):  # not an extglob @(a|b)
                end_word()
                if op in ("$((", "(("):
                    k = text.find("))", i)
                    i = n if k < 0 else k + 2
                    out.append("((...))")
                    continue
                out.append(op)
                i += len(op)
                if op == "\n" and heredocs:
                    for delimiter in heredocs:
                        m = re.compile(rf"^\t*{re.escape(delimiter)}[ \t]*$", re.M).search(text, i)
                        i = n if m is None else m.end()
                    heredocs = []
            else:
                word += c
                i += 1
    end_word()
    return out


def matching_paren(text, start):
    """The index of the `)` closing the `(` at `start` (quotes and nesting respected)."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 1
        elif c == "'":
            i = max(text.find("'", i + 1), i)
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text) - 1


def matching_brace(text, start):
    depth, i = 0, start
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text) - 1


def unquote(word):
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


class Scanner:
    """Walks the tokens, deciding which words are commands and which of those are guarded."""

    def __init__(self):
        self.used = set()        # unguarded command names
        self.variables = {}      # name -> the programs it may hold (assignments, for lists)
        self.defined = set()     # functions of the script: calling one runs no program
        self.wrappers = set()    # those of them that run "$@"
        self.functions = []      # [(name, brace depth)] of the function bodies we are in
        self.braces = 0
        self.frames = []         # per open `if`: [mode, guarded names]
        self.line_guards = set()
        self.segment_guards = set()
        self.in_test = False

    def use(self, name):
        name = unquote(name)
        if name.startswith(("/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/")):
            name = name.rsplit("/", 1)[1]
        guarded = self.line_guards.union(*(f[1] for f in self.frames if f[0] == "body"))
        if NAME.match(name) and name not in guarded and name not in self.defined:
            self.used.add(name)

    def scan(self, toks):
        i, n = 0, len(toks)
        expect = True  # the next word is in command position
        while i < n:
            t = toks[i]
            if t == "\n" or t == ";":
                if t == "\n":
                    self.line_guards = set()
                self.segment_guards = set()
                expect = True
            elif t in ("&&", "||") and self.in_test:
                expect = False
            elif t == "&&":
                self.line_guards |= self.segment_guards
                expect = True
            elif t in ("||", "|", "|&", "&", ";;", ";&", "$(", "`", "(", "((...))"):
                if t == "||":  # `command -v NAME || die`: NAME is needed, not optional
                    for name in self.segment_guards:
                        self.use(name)
                self.segment_guards = set()
                expect = t != "((...))"
            elif t == ")" or t == "))":
                expect = False
            elif t == "]]":
                self.in_test, expect = False, False
            elif self.in_test and not expect:
                pass  # a word of a [[ ]] test; its $( ) still run commands
            elif expect and t in ("for", "select"):
                end = skip_to(toks, i, {"do"})
                if i + 2 < end and toks[i + 2] == "in":
                    self.variables[toks[i + 1]] = [unquote(w) for w in toks[i + 3:end] if NAME.match(unquote(w))]
                i = end
                continue
            elif expect and t == "case":
                i = self.scan_case(toks, i)
                continue
            elif expect and t == "[[":
                self.in_test, expect = True, False
            elif expect and t == "function" and i + 1 < n:
                self.functions.append((toks[i + 1], self.braces))
                self.defined.add(toks[i + 1])
                i += 2
                continue
            elif expect and i + 2 < n and toks[i + 1] == "(" and toks[i + 2] == ")" and NAME.match(t):
                self.functions.append((t, self.braces))  # name() { ... }
                self.defined.add(t)
                i += 3
                continue
            elif expect:
                i, expect = self.command(toks, i)
                continue
            i += 1

    def reserved(self, word):
        """Handles a reserved word at command position; returns whether the next word is a
        command, or None for a word that is no reserved word."""
        if word in ("if", "elif"):
            if word == "if":
                self.frames.append(["cond", set()])
            elif self.frames:
                self.frames[-1] = ["cond", set()]
            return True
        if word in ("then", "else"):
            if self.frames:
                self.frames[-1] = ["body", self.frames[-1][1] if word == "then" else set()]
            return True
        if word == "fi":
            if self.frames:
                self.frames.pop()
            return False
        if word == "{":
            self.braces += 1
            return True
        if word == "}":
            self.braces -= 1
            if self.functions and self.functions[-1][1] == self.braces:
                self.functions.pop()
            return False
        if word in STARTS_LIST:
            return True
        if word in ENDS:
            return False
        return None

    def command(self, toks, i, negated=False):
        """Handles the simple command (or reserved word) at toks[i]; returns where its words
        end and whether the next word is in command position."""
        n = len(toks)
        while i < n and (ASSIGNMENT.match(toks[i]) or REDIRECTION.match(toks[i])):
            if ASSIGNMENT.match(toks[i]):
                self.assign(toks[i])
            elif re.fullmatch(r"\d*(<<<|<>|>>|>&|<&|>\||[<>])", toks[i]):
                i += 1  # the redirection's target is the next word
            i += 1
        if i >= n or toks[i] in OPERATORS:
            return i, True
        word = toks[i]
        if word == "!" and i + 1 < n:
            return self.command(toks, i + 1, negated=True)
        expect = self.reserved(word)
        if expect is not None:
            return i + 1, expect
        args = self.arguments(toks, i + 1)
        guard = next((g for g in GUARDS if tuple(unquote(a) for a in [word] + args[:len(g) - 1]) == g), None)
        if guard:
            target = args[len(guard) - 1] if len(args) >= len(guard) else ""
            for name in self.resolve(target):
                if negated:  # `if ! command -v NAME; then exit`: NAME is needed
                    self.use(name)
                    continue
                self.segment_guards.add(name)
                if self.frames and self.frames[-1][0] == "cond":
                    self.frames[-1][1].add(name)
            return i + 1 + len(args), False
        if word in ('"$@"', "$@", '"${@}"') and self.functions:
            self.wrappers.add(self.functions[-1][0])
            return i + 1 + len(args), False
        for name in self.resolve(word):
            self.use(name)
        name = unquote(word)
        if name in ("bash", "sh") and "-c" in args and args.index("-c") + 1 < len(args):
            Scanner.scan(self, tokens(unquote(args[args.index("-c") + 1])))
        elif name in WRAPPERS or name in self.wrappers:
            rest = skip_options(args, WRAPPERS.get(name, ""), name)
            if rest < len(args):
                return self.command(toks, i + 1 + rest)
        return i + 1 + len(args), False

    def arguments(self, toks, i):
        args = []
        while i < len(toks) and toks[i] not in OPERATORS:
            args.append(toks[i])
            i += 1
        return args

    def assign(self, token):
        """NAME=WORD or NAME=${VAR:-WORD}: what $NAME runs if it is run."""
        name, _, value = token.partition("=")
        value = unquote(value)
        default = DEFAULT.fullmatch(value)
        candidate = default[1] if default else value
        self.variables[name.rstrip("+")] = [candidate] if NAME.match(candidate) else []

    def resolve(self, word):
        """The programs a word in command position runs: a `$var` stands for what the
        script put in it, and is unknown (nothing) otherwise."""
        m = VARIABLE.match(word)
        return self.variables.get(m[1], []) if m else [unquote(word)]

    def scan_case(self, toks, i):
        """`case WORD in PATTERN) COMMANDS ;; ... esac`: the commands, not the patterns."""
        i = skip_to(toks, i, {"in"}) + 1
        while i < len(toks) and toks[i] != "esac":
            j = i
            while j < len(toks) and toks[j] != ")" and toks[j] != "esac":
                j += 1
            if j >= len(toks) or toks[j] == "esac":
                return j + 1
            end, depth = j + 1, 0
            while end < len(toks) and not (depth == 0 and toks[end] in (";;", ";&", "esac")):
                depth += toks[end] == "case"
                depth -= toks[end] == "esac"
                end += 1
            Scanner.scan(self, toks[j + 1:end])
            i = end + 1 if end < len(toks) and toks[end] != "esac" else end
        return i + 1


def skip_to(toks, i, words):
    while i < len(toks) and toks[i] not in words:
        i += 1
    return i


def skip_options(args, with_value, wrapper):
    """The index of the first word after a wrapper's options (and its own operands)."""
    i = 0
    while i < len(args):
        a = unquote(args[i])
        if wrapper == "env" and ASSIGNMENT.match(a):
            i += 1
        elif a.startswith("-") and a != "-":
            i += 2 if len(a) == 2 and a[1] in with_value else 1
        elif wrapper == "timeout" and re.fullmatch(r"[\d.]+[smhd]?", a):
            i += 1
        elif wrapper == "chroot" and i == 0:
            i += 1  # the new root
        else:
            break
    return i


def unguarded_commands(text):
    """The programs a shell script runs at least once outside a guard of their own."""
    scanner = Scanner()
    scanner.scan(tokens(text))
    return scanner.used
