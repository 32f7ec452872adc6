#include "yaml_tree.hpp"

#include <cassert>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

namespace tailsim::model::detail {

/// Builds nodes from yaml-cpp's parser events, as yaml-cpp's own NodeBuilder
/// does: an alias is the node its anchor names (registered when the anchored
/// node starts), a map's children alternate key and value in file order.
/// Children wait on one stack until their collection ends, then move to the
/// tree's children array in one piece.
class YamlTreeBuilder : public YAML::EventHandler {
 public:
  explicit YamlTreeBuilder(YamlTree& tree) : tree_(tree) {}

  [[nodiscard]] std::optional<std::uint32_t> root() const { return root_; }

  void OnDocumentStart(const YAML::Mark& /*mark*/) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto id = tree_.add(YamlKind::null, {}, mark_of(mark));
    remember(anchor, id);
    place(id);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor < anchors_.size() && anchors_[anchor] != no_node) {
      place(anchors_[anchor]);
      return;
    }
    place(tree_.add(YamlKind::null, {}, mark_of(mark)));  // the parser refuses unknown anchors
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    const auto id = tree_.add_scalar(value, tag, mark_of(mark));
    remember(anchor, id);
    place(id);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(YamlKind::sequence, mark, tag, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(YamlKind::map, mark, tag, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  static constexpr std::uint32_t no_node = ~std::uint32_t{0};

  struct Open {
    std::uint32_t id;
    std::size_t first_child;  ///< where its children start in pending_
  };

  static YamlMark mark_of(const YAML::Mark& mark) {
    return YamlMark{static_cast<std::int32_t>(mark.pos), static_cast<std::int32_t>(mark.line),
                    static_cast<std::int32_t>(mark.column)};
  }

  void remember(YAML::anchor_t anchor, std::uint32_t id) {
    if (anchor == YAML::NullAnchor) {
      return;
    }
    if (anchors_.size() <= anchor) {
      anchors_.resize(anchor + 1, no_node);
    }
    anchors_[anchor] = id;
  }

  /// A finished node goes to the open collection, or is the document's root.
  void place(std::uint32_t id) {
    if (!open_.empty()) {
      pending_.push_back(id);
    } else if (!root_) {
      root_ = id;
    }
  }

  void open(YamlKind kind, const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor) {
    const auto id = tree_.add(kind, tag, mark_of(mark));
    remember(anchor, id);
    open_.push_back(Open{id, pending_.size()});
  }

  void close() {
    if (open_.empty()) {
      return;
    }
    const Open done = open_.back();
    open_.pop_back();
    tree_.set_children(done.id, pending_.data() + done.first_child,
                       pending_.size() - done.first_child);
    pending_.resize(done.first_child);
    place(done.id);
  }

  YamlTree& tree_;
  std::vector<Open> open_;
  std::vector<std::uint32_t> pending_;
  std::vector<std::uint32_t> anchors_;
  std::optional<std::uint32_t> root_;
};

// ---------------------------------------------------------------- YamlNode

YamlKind YamlNode::kind() const {
  return tree_->nodes_[id_].kind;
}

std::string_view YamlNode::tag() const {
  return tree_->tags_[tree_->nodes_[id_].tag];
}

YamlMark YamlNode::mark() const {
  return tree_->nodes_[id_].mark;
}

std::string_view YamlNode::scalar() const {
  const auto& r = tree_->nodes_[id_];
  if (r.kind != YamlKind::scalar) {
    return {};
  }
  return std::string_view(tree_->chars_).substr(r.first, r.size);
}

std::size_t YamlNode::size() const {
  const auto& r = tree_->nodes_[id_];
  return r.kind == YamlKind::sequence || r.kind == YamlKind::map ? r.size : 0;
}

YamlNode YamlNode::item(std::size_t i) const {
  assert(is_sequence() && i < size());
  return YamlNode(*tree_, tree_->children_[tree_->nodes_[id_].first + i]);
}

YamlNode YamlNode::key(std::size_t i) const {
  assert(is_map() && i < size());
  return YamlNode(*tree_, tree_->children_[tree_->nodes_[id_].first + 2 * i]);
}

YamlNode YamlNode::value(std::size_t i) const {
  assert(is_map() && i < size());
  return YamlNode(*tree_, tree_->children_[tree_->nodes_[id_].first + 2 * i + 1]);
}

// ---------------------------------------------------------------- YamlTree

std::uint32_t YamlTree::parse(std::string_view text) {
  if (nodes_.empty()) {
    // A model has about one node per 7 bytes of text: reserved (not yet
    // touched) room spares the copies of a growing array.
    nodes_.reserve(text.size() / 6);
  }
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  YamlTreeBuilder builder(*this);
  if (!parser.HandleNextDocument(builder) || !builder.root()) {
    return add(YamlKind::null, {}, YamlMark{});  // no document: yaml-cpp's Node()
  }
  return *builder.root();
}

std::uint32_t YamlTree::intern_tag(std::string_view tag) {
  // Nearly every node is tagged "", "?" or "!": the first tags seen.
  for (std::size_t i = 0; i < tags_.size() && i < 4; ++i) {
    if (tags_[i] == tag) {
      return static_cast<std::uint32_t>(i);
    }
  }
  const auto [it, is_new] =
      tag_ids_.emplace(std::string(tag), static_cast<std::uint32_t>(tags_.size()));
  if (is_new) {
    tags_.emplace_back(tag);
  }
  return it->second;
}

std::uint32_t YamlTree::add(YamlKind kind, std::string_view tag, YamlMark mark) {
  Record r;
  r.kind = kind;
  r.tag = intern_tag(tag);
  r.mark = mark;
  r.first = kind == YamlKind::scalar ? static_cast<std::uint32_t>(chars_.size())
                                     : static_cast<std::uint32_t>(children_.size());
  nodes_.push_back(r);
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

std::uint32_t YamlTree::add_scalar(std::string_view text, std::string_view tag, YamlMark mark) {
  const auto id = add(YamlKind::scalar, tag, mark);
  chars_.append(text);
  nodes_[id].size = static_cast<std::uint32_t>(text.size());
  return id;
}

void YamlTree::set_children(std::uint32_t id, const std::uint32_t* ids, std::size_t count) {
  Record& r = nodes_[id];
  r.first = static_cast<std::uint32_t>(children_.size());
  r.size = static_cast<std::uint32_t>(r.kind == YamlKind::map ? count / 2 : count);
  children_.insert(children_.end(), ids, ids + (r.kind == YamlKind::map ? 2 * r.size : count));
}

std::uint32_t YamlTree::add_map() {
  return add(YamlKind::map, {}, YamlMark{});
}

std::optional<std::uint32_t> YamlTree::find(std::uint32_t map, std::string_view key) const {
  const YamlNode m = node(map);
  if (!m.is_map()) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m.key(i).is_scalar() && m.key(i).scalar() == key) {
      return m.value(i).id();
    }
  }
  return std::nullopt;
}

std::uint32_t YamlTree::insert(std::uint32_t map, std::string_view key) {
  if (nodes_[map].kind == YamlKind::null) {
    nodes_[map].kind = YamlKind::map;
    nodes_[map].size = 0;
  }
  assert(nodes_[map].kind == YamlKind::map);
  const auto key_id = add_scalar(key, {}, YamlMark{});
  const auto value_id = add(YamlKind::null, {}, YamlMark{});
  // Another node may share these children (see assign): copy, then extend.
  const Record old = nodes_[map];
  std::vector<std::uint32_t> ids(children_.begin() + old.first,
                                 children_.begin() + old.first + 2 * old.size);
  ids.push_back(key_id);
  ids.push_back(value_id);
  set_children(map, ids.data(), ids.size());
  return value_id;
}

bool YamlTree::remove(std::uint32_t map, std::string_view key) {
  const YamlNode m = node(map);
  if (!m.is_map()) {
    return false;
  }
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m.key(i).is_scalar() && m.key(i).scalar() == key) {
      const Record old = nodes_[map];
      std::vector<std::uint32_t> ids(children_.begin() + old.first,
                                     children_.begin() + old.first + 2 * old.size);
      ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(2 * i),
                ids.begin() + static_cast<std::ptrdiff_t>(2 * i + 2));
      set_children(map, ids.data(), ids.size());
      return true;
    }
  }
  return false;
}

void YamlTree::assign(std::uint32_t to, std::uint32_t from) {
  nodes_[to] = nodes_[from];
}

}  // namespace tailsim::model::detail
