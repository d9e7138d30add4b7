#include "smartcrop/review_page.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <sstream>

#include <opencv2/imgproc.hpp>

#include "io/atomic_file.hpp"
#include "smartcrop/comparison.hpp"
#include "smartcrop/error.hpp"
#include "smartcrop/image_io.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Percent-encodes a relative path for href/src, keeping '/' as the separator.
std::string url_path(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// A file-name-safe version of the photo's stem, for the thumbnail name.
std::string safe_stem(const std::string& name) {
  std::string stem = fs::path(name).stem().string();
  for (char& c : stem) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) c = '_';
  }
  if (stem.size() > 60) stem.resize(60);
  return stem.empty() ? "photo" : stem;
}

std::string format_percent(double share) {
  char text[16];
  std::snprintf(text, sizeof text, "%.0f%%", 100.0 * share);
  return text;
}

std::string now_text() {
  std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &local);
  return text;
}

void write_text_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size(), true);
}

constexpr const char* kStyle = R"(
body{margin:0;padding:16px 24px;background:#1b1b1b;color:#e6e6e6;font:14px/1.45 system-ui,sans-serif}
h1{font-size:20px;margin:0 0 8px}
h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #444}
table.summary td{padding:1px 12px 1px 0;vertical-align:top}
table.summary td:first-child{color:#9a9a9a}
.photo{margin:0 0 20px;padding:8px;background:#242424;border-radius:4px}
.photo h3{font-size:14px;margin:0 0 6px;word-break:break-all}
.photo img{display:block;max-width:100%;height:auto;background:#111}
.crops{margin:6px 0 0;font-family:ui-monospace,monospace;font-size:13px}
.low{color:#ff8a70}.mid{color:#f0d060}.high{color:#8fdc8f}
.failed{border-left:4px solid #d04030}
.error{color:#ff8a70;font-family:ui-monospace,monospace}
)";

// Sets data-images-checked / data-images-broken on <body> once every image has
// loaded or failed; with #check in the URL, lazy images are loaded right away.
// Used by the headless-browser test; harmless otherwise.
constexpr const char* kCheckScript = R"(
(function(){
  var imgs=Array.prototype.slice.call(document.images);
  if(location.hash==='#check'){imgs.forEach(function(i){i.loading='eager';});}
  function report(){
    if(imgs.some(function(i){return !i.complete;})){setTimeout(report,50);return;}
    var broken=imgs.filter(function(i){return i.naturalWidth===0;}).length;
    document.body.setAttribute('data-images-broken',broken);
    document.body.setAttribute('data-images-checked',imgs.length);
  }
  if(location.hash==='#check'){window.addEventListener('load',report);}
})();
)";

const char* confidence_class(double share) { return share < 0.5 ? "low" : share < 0.75 ? "mid" : "high"; }

void render_entry(std::ostringstream& html, const ReviewEntry& e, int rank) {
  const bool failed = !e.error.empty();
  html << "<section class=\"photo" << (failed ? " failed" : "") << "\" data-rank=\"" << rank << "\" data-name=\""
       << html_escape(e.name) << "\"";
  if (!failed) html << " data-confidence=\"" << e.min_confidence() << "\"";
  html << ">\n<h3>" << html_escape(e.name);
  if (e.width > 0) html << " <small>" << e.width << "&times;" << e.height << "</small>";
  html << "</h3>\n";
  if (failed) {
    html << "<div class=\"error\">" << html_escape(e.error) << "</div>\n</section>\n";
    return;
  }
  if (!e.strip.empty()) {
    const std::string link = e.full_strip.empty() ? e.strip : e.full_strip;
    html << "<a href=\"" << url_path(link) << "\"><img src=\"" << url_path(e.strip) << "\" loading=\"lazy\"";
    if (e.strip_width > 0) html << " width=\"" << e.strip_width << "\" height=\"" << e.strip_height << "\"";
    html << " alt=\"comparison strip for " << html_escape(e.name) << "\"></a>\n";
  }
  html << "<div class=\"crops\">";
  for (const auto& c : e.crops) {
    html << "<div>" << html_escape(c.ratio) << " box " << c.box.x << " " << c.box.y << " " << c.box.width << " "
         << c.box.height << " &middot; <span class=\"" << confidence_class(c.confidence) << "\">"
         << format_percent(c.confidence) << "</span> of attention inside</div>";
  }
  html << "</div>\n</section>\n";
}

}  // namespace

double ReviewEntry::min_confidence() const {
  double lowest = 1.0;
  for (const auto& c : crops) lowest = std::min(lowest, c.confidence);
  return lowest;
}

ReviewPage::ReviewPage(std::string folder, int thumb_width)
    : folder_(std::move(folder)), thumb_width_(std::max(64, thumb_width)) {
  std::error_code ec;
  fs::create_directories(fs::path(folder_) / "strips", ec);
  if (ec || !fs::is_directory(fs::path(folder_) / "strips")) {
    throw Error(folder_, "cannot create review folder" + (ec ? ": " + ec.message() : std::string()));
  }
}

void ReviewPage::add_photo(const std::string& name, const cv::Mat& strip, const CropPlan& plan,
                           const std::string& full_strip) {
  int id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = ++next_id_;
  }
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%05d_", id);
  ReviewEntry entry;
  entry.name = name;
  entry.width = plan.width;
  entry.height = plan.height;
  entry.strip = std::string("strips/") + prefix + safe_stem(name) + ".jpg";
  cv::Mat thumb = strip;
  if (strip.cols > thumb_width_) {
    const int h = std::max(1, static_cast<int>(std::lround(strip.rows * double(thumb_width_) / strip.cols)));
    cv::resize(strip, thumb, cv::Size(thumb_width_, h), 0, 0, cv::INTER_AREA);
  }
  entry.strip_width = thumb.cols;
  entry.strip_height = thumb.rows;
  WriteOptions write;
  write.jpeg_quality = 85;
  write_image_atomic((fs::path(folder_) / entry.strip).string(), thumb, write);
  if (!full_strip.empty()) {
    std::error_code ec;
    const fs::path relative = fs::relative(fs::absolute(full_strip), fs::absolute(folder_), ec);
    entry.full_strip = ec || relative.empty() ? "" : relative.generic_string();
  }
  for (const auto& c : plan.crops) entry.crops.push_back({ratio_display(c.ratio), c.box, c.confidence});
  add(std::move(entry));
}

void ReviewPage::add_failure(const std::string& name, const std::string& error) {
  ReviewEntry entry;
  entry.name = name;
  entry.error = error.empty() ? "failed" : error;
  add(std::move(entry));
}

void ReviewPage::add(ReviewEntry entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.push_back(std::move(entry));
}

std::vector<ReviewEntry> ReviewPage::sorted_entries() const {
  std::vector<ReviewEntry> entries;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    entries = entries_;
  }
  std::stable_sort(entries.begin(), entries.end(), [](const ReviewEntry& a, const ReviewEntry& b) {
    const bool fa = !a.error.empty(), fb = !b.error.empty();
    if (fa != fb) return fa;
    if (fa) return a.name < b.name;
    if (a.min_confidence() != b.min_confidence()) return a.min_confidence() < b.min_confidence();
    return a.name < b.name;
  });
  return entries;
}

std::string ReviewPage::render_html(const ReviewSummary& summary) const {
  const std::vector<ReviewEntry> entries = sorted_entries();
  int failed = 0, low = 0, crops = 0;
  for (const auto& e : entries) {
    if (!e.error.empty()) {
      ++failed;
      continue;
    }
    crops += static_cast<int>(e.crops.size());
    if (e.min_confidence() < 0.5) ++low;
  }
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<title>smartcrop review (" << entries.size() << " photos)</title>\n<style>" << kStyle
       << "</style>\n</head>\n<body>\n<h1>smartcrop review</h1>\n<table class=\"summary\">\n";
  auto row = [&html](const std::string& key, const std::string& value) {
    html << "<tr><td>" << html_escape(key) << "</td><td>" << html_escape(value) << "</td></tr>\n";
  };
  row("photos", std::to_string(entries.size()) + " (" + std::to_string(entries.size() - failed) + " cropped, " +
                    std::to_string(failed) + " failed)");
  row("crops", std::to_string(crops));
  row("below 50% confidence", std::to_string(low) + " photos");
  if (!summary.backend.empty()) row("backend", summary.backend);
  for (const auto& [key, value] : summary.settings) row(key, value);
  row("date", summary.date.empty() ? now_text() : summary.date);
  html << "</table>\n<p>Panels: 1 photo with the crop outlines, 2 the backend's map, 3 what chose the window "
          "(peak: the blurred map and its peak; mass, learned: the score of every window position), "
          "4 centre crop, 5 smart crop. Confidence is the share of attention inside the crop; "
          "photos are listed least confident first. Click a strip for the full-size image.</p>\n";
  int rank = 0;
  if (failed > 0) html << "<h2 id=\"failed\">Failed (" << failed << ")</h2>\n";
  for (const auto& e : entries) {
    if (!e.error.empty()) render_entry(html, e, rank++);
  }
  html << "<h2 id=\"cropped\">Cropped, least confident first (" << entries.size() - failed << ")</h2>\n";
  for (const auto& e : entries) {
    if (e.error.empty()) render_entry(html, e, rank++);
  }
  html << "<script>" << kCheckScript << "</script>\n</body>\n</html>\n";
  return html.str();
}

std::string ReviewPage::write(const ReviewSummary& summary) const {
  const std::string path = (fs::path(folder_) / "index.html").string();
  write_text_atomic(path, render_html(summary));
  return path;
}

}  // namespace smartcrop
