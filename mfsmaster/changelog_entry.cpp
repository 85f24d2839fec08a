#include "mfsmaster/changelog_entry.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace mfs::master {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

// SNAPSHOT(ino_src,par_dst,name,smode,sesflags,uid,[g1,g2,...],cumask): the gid list is the
// only argument MooseFS writes unescaped with commas inside.
constexpr std::string_view kSnapshotOperation = "SNAPSHOT";
constexpr size_t kSnapshotGidListIndex = 6;

bool is_gid_list_position(std::string_view operation, size_t index) {
  return operation == kSnapshotOperation && index == kSnapshotGidListIndex;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "[]" or "[d,d,...,d]" with decimal digit runs.
bool is_bracketed_gid_list(std::string_view text) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  std::string_view inside = text.substr(1, text.size() - 2);
  if (inside.empty()) return true;
  bool previous_was_digit = false;
  for (char c : inside) {
    if (is_digit(c)) {
      previous_was_digit = true;
    } else if (c == ',' && previous_was_digit) {
      previous_was_digit = false;
    } else {
      return false;
    }
  }
  return previous_was_digit;
}

bool needs_escape(unsigned char byte, bool escape_brackets) {
  return byte < 32 || byte >= 127 || byte == ',' || byte == '%' || byte == '(' || byte == ')' ||
         (escape_brackets && byte == '[');
}

// `escape_brackets` keeps a non-list value in the gid-list position from being read back
// as a list.
void append_escaped(std::string& out, std::string_view value, bool escape_brackets = false) {
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if (needs_escape(byte, escape_brackets)) {
      out += '%';
      out += kHexDigits[byte >> 4];
      out += kHexDigits[byte & 0xF];
    } else {
      out += c;
    }
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status malformed(std::string_view what, std::string_view line) {
  constexpr size_t kQuotedPrefix = 80;
  std::string quoted(line.substr(0, kQuotedPrefix));
  for (char& c : quoted) {
    if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) >= 127) c = '?';
  }
  if (line.size() > kQuotedPrefix) quoted += "...";
  return Status(StatusCode::kEINVAL, "malformed changelog line (" + std::string(what) + "): " + quoted);
}

// Strict decimal: one or more digits, nothing else, value within T.
template <typename T>
bool parse_decimal(std::string_view text, T& value) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_digit(c)) return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// Reads the decimal number at the front of `rest` and removes it.
template <typename T>
bool take_decimal(std::string_view& rest, T& value) {
  size_t digits = 0;
  while (digits < rest.size() && is_digit(rest[digits])) ++digits;
  if (!parse_decimal(rest.substr(0, digits), value)) return false;
  rest.remove_prefix(digits);
  return true;
}

bool take_literal(std::string_view& rest, std::string_view literal) {
  if (!rest.starts_with(literal)) return false;
  rest.remove_prefix(literal.size());
  return true;
}

// Unescapes one argument or result; raw parentheses cannot occur inside one.
bool unescape_field(std::string_view text, std::string& out, std::string_view& error) {
  out.clear();
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '(' || c == ')') {
      error = "unbalanced parentheses";
      return false;
    }
    if (c != '%') {
      out += c;
      continue;
    }
    int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    int low = high >= 0 ? hex_value(text[i + 2]) : -1;
    if (low < 0) {
      error = "'%' not followed by two hex digits 0-9A-F";
      return false;
    }
    out += static_cast<char>((high << 4) | low);
    i += 2;
  }
  return true;
}

// Splits `text` at commas into unescaped fields, honouring SNAPSHOT's bracketed gid list
// when `operation` is given. Empty `text` is no field at all.
bool split_fields(std::string_view text, std::string_view operation, std::vector<std::string>& fields,
                  std::string_view& error) {
  if (text.empty()) return true;
  size_t start = 0;
  while (true) {
    size_t end = 0;
    if (is_gid_list_position(operation, fields.size()) && start < text.size() && text[start] == '[') {
      end = text.find(']', start);
      if (end != std::string_view::npos) ++end;
      if (end == std::string_view::npos || !is_bracketed_gid_list(text.substr(start, end - start)) ||
          (end < text.size() && text[end] != ',')) {
        error = "bad SNAPSHOT gid list";
        return false;
      }
      fields.emplace_back(text.substr(start, end - start));
    } else {
      end = std::min(text.find(',', start), text.size());
      if (!unescape_field(text.substr(start, end - start), fields.emplace_back(), error)) return false;
    }
    if (end == text.size()) return true;
    start = end + 1;
  }
}

bool is_operation_char(char c) { return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; }

}  // namespace

ChangelogEntry ChangelogEntry::make(std::string operation, uint32_t timestamp) {
  ChangelogEntry entry;
  entry.timestamp = timestamp;
  entry.operation = std::move(operation);
  return entry;
}

std::string format_changelog_line(const ChangelogEntry& entry) {
  std::string line;
  size_t expected = 40 + entry.operation.size();
  for (const std::string& arg : entry.args) expected += arg.size() + 1;
  for (const std::string& result : entry.results) expected += result.size() + 1;
  line.reserve(expected);

  line += std::to_string(entry.id);
  line += ": ";
  line += std::to_string(entry.timestamp);
  line += '|';
  line += entry.operation;
  line += '(';
  for (size_t i = 0; i < entry.args.size(); ++i) {
    if (i > 0) line += ',';
    if (!is_gid_list_position(entry.operation, i)) {
      append_escaped(line, entry.args[i]);
    } else if (is_bracketed_gid_list(entry.args[i])) {
      line += entry.args[i];
    } else {
      append_escaped(line, entry.args[i], /*escape_brackets=*/true);
    }
  }
  line += ')';
  for (size_t i = 0; i < entry.results.size(); ++i) {
    line += i == 0 ? ':' : ',';
    append_escaped(line, entry.results[i]);
  }
  line += '\n';
  return line;
}

Result<ChangelogEntry> parse_changelog_line(std::string_view line) {
  std::string_view rest = line;
  if (rest.ends_with('\n')) rest.remove_suffix(1);
  if (rest.size() > kMaxChangelogLineLength) return malformed("longer than 200000 bytes", line);
  if (rest.find('\n') != std::string_view::npos) return malformed("newline inside the line", line);

  ChangelogEntry entry;
  if (!take_decimal(rest, entry.id)) return malformed("bad change id", line);
  if (!take_literal(rest, ": ")) return malformed("no ': ' after the change id", line);
  if (!take_decimal(rest, entry.timestamp)) return malformed("bad timestamp", line);
  if (!take_literal(rest, "|")) return malformed("no '|' after the timestamp", line);

  size_t name_length = 0;
  while (name_length < rest.size() && is_operation_char(rest[name_length])) ++name_length;
  if (name_length == 0) return malformed("no operation name", line);
  entry.operation = rest.substr(0, name_length);
  rest.remove_prefix(name_length);
  if (!take_literal(rest, "(")) return malformed("no '(' after the operation name", line);

  size_t close = rest.find(')');
  if (close == std::string_view::npos) return malformed("unbalanced parentheses", line);
  std::string_view error;
  if (!split_fields(rest.substr(0, close), entry.operation, entry.args, error)) return malformed(error, line);
  rest.remove_prefix(close + 1);

  if (rest.empty()) return entry;
  if (!take_literal(rest, ":")) return malformed("text after ')' that is not ':<results>'", line);
  // After ':' there is always at least one (possibly empty) result, so that the results
  // [""] and [] stay distinct.
  if (rest.empty()) {
    entry.results.emplace_back();
    return entry;
  }
  if (!split_fields(rest, {}, entry.results, error)) return malformed(error, line);
  return entry;
}

}  // namespace mfs::master
