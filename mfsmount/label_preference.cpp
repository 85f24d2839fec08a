#include "mfsmount/label_preference.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace mfs::mount {

namespace {

// Parentheses nest at most this deep: the recursion stays bounded whatever the option says.
constexpr size_t kMaxDepth = 32;

}  // namespace

class LabelPreference::Parser {
 public:
  explicit Parser(std::string_view text) {
    for (char c : text) {
      if (!std::isspace(static_cast<unsigned char>(c))) text_.push_back(c);
    }
  }

  Result<std::vector<Node>> expressions() {
    std::vector<Node> parsed;
    // A lone copy count is "any chunkserver", but only as the whole value.
    if (text_.size() == 1 && is_count(text_[0])) return std::vector<Node>{Node{Node::Kind::kEverything, 0, {}}};
    while (true) {
      // A copy count (one digit, 1-9) may start an expression; like the 3.0.117 client,
      // which reads with `2a` as with `a`, we take it and ignore it.
      if (!at_end() && is_count(text_[position_]) && position_ + 1 < text_.size() && text_[position_ + 1] != ';') {
        ++position_;
      }
      // '*' is "any chunkserver" only as a whole expression.
      bool everything = text_.compare(position_, 1, "*") == 0 &&
                        (position_ + 1 == text_.size() || text_[position_ + 1] == ';');
      if (everything) {
        ++position_;
        parsed.push_back(Node{Node::Kind::kEverything, 0, {}});
      } else {
        Result<Node> any = parse_any(0);
        if (!any) return any.status();
        parsed.push_back(std::move(*any));
      }
      if (parsed.size() > kMaxExpressions) return error("more than nine expressions");
      if (at_end()) return parsed;
      if (text_[position_] != ';') return error("unexpected '" + std::string(1, text_[position_]) + "'");
      ++position_;
    }
  }

 private:
  static Status error(const std::string& why) { return Status(StatusCode::kEINVAL, why); }
  static bool is_count(char c) { return c >= '1' && c <= '9'; }
  bool at_end() const { return position_ >= text_.size(); }
  // Moves past `token` if the text goes on with it.
  bool take(std::string_view token) {
    if (std::string_view(text_).substr(position_, token.size()) != token) return false;
    position_ += token.size();
    return true;
  }

  // S: terms joined by '+', '|' or '||'.
  Result<Node> parse_any(size_t depth) {
    Node any{Node::Kind::kAny, 0, {}};
    while (true) {
      Result<Node> all = parse_all(depth);
      if (!all) return all.status();
      any.parts.push_back(std::move(*all));
      if (!take("+") && !take("||") && !take("|")) break;
    }
    return any;
  }

  // M: one or more L, side by side or joined by '&', '&&' or '*'.
  Result<Node> parse_all(size_t depth) {
    Node all{Node::Kind::kAll, 0, {}};
    while (!at_end()) {
      bool joined = !all.parts.empty() && (take("&&") || take("&") || take("*"));
      if (joined && at_end()) return error("a label expected at the end");
      char c = text_[position_];
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        all.parts.push_back(Node{Node::Kind::kLabel, 1u << (std::toupper(static_cast<unsigned char>(c)) - 'A'), {}});
        ++position_;
      } else if (c == '(' || c == '[') {
        if (depth + 1 > kMaxDepth) return error("too deeply nested");
        ++position_;
        Result<Node> inner = parse_any(depth + 1);
        if (!inner) return inner.status();
        char close = c == '(' ? ')' : ']';
        if (at_end() || text_[position_] != close) return error(std::string("'") + close + "' expected");
        ++position_;
        all.parts.push_back(std::move(*inner));
      } else if (joined) {
        return error(std::string("a label expected before '") + c + "'");
      } else {
        break;
      }
    }
    if (all.parts.empty()) return error(at_end() ? "a label expected at the end" : "a label expected");
    return all;
  }

  std::string text_;
  size_t position_ = 0;
};

bool LabelPreference::Node::matches(uint32_t labels) const {
  switch (kind) {
    case Kind::kLabel: return (labels & label_bit) != 0;
    case Kind::kAll: return std::all_of(parts.begin(), parts.end(), [&](const Node& n) { return n.matches(labels); });
    case Kind::kAny: return std::any_of(parts.begin(), parts.end(), [&](const Node& n) { return n.matches(labels); });
    case Kind::kEverything: return true;
  }
  return false;
}

Result<LabelPreference> LabelPreference::parse(std::string_view text) {
  Result<std::vector<Node>> expressions = Parser(text).expressions();
  if (!expressions) return expressions.status();
  LabelPreference preference;
  preference.expressions_ = std::move(*expressions);
  return preference;
}

size_t LabelPreference::priority(uint32_t labels) const {
  for (size_t i = 0; i < expressions_.size(); ++i) {
    if (expressions_[i].matches(labels)) return i;
  }
  return expressions_.size();
}

void LabelPreference::order(std::vector<ChunkCopy>& copies) const {
  if (expressions_.empty()) return;
  std::stable_sort(copies.begin(), copies.end(),
                   [&](const ChunkCopy& a, const ChunkCopy& b) { return priority(a.labels) < priority(b.labels); });
}

}  // namespace mfs::mount
