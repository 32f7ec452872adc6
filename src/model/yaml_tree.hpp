#pragma once
/// A compact YAML tree built from yaml-cpp's parser events. Private to the
/// model module: the loader reads and edits (`--set`) this tree instead of
/// yaml-cpp's YAML::Node, whose shared pointers cost about 90 bytes of heap
/// per byte of text and seconds to build and free for a large model.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tailsim::model::detail {

/// What a node holds. yaml-cpp's parser reports `~`, `null` and a missing
/// value as null, and everything else written as text as a scalar.
enum class YamlKind : std::uint8_t { null, scalar, sequence, map };

/// Where a node starts, 0-based as yaml-cpp's events give it; -1 for a node
/// that `--set` made (it has no place in any text).
struct YamlMark {
  std::int32_t pos = -1;
  std::int32_t line = -1;
  std::int32_t column = -1;
};

class YamlTree;

/// A view of one node of a tree: cheap to copy, valid while the tree lives.
class YamlNode {
 public:
  YamlNode(const YamlTree& tree, std::uint32_t id) : tree_(&tree), id_(id) {}

  [[nodiscard]] YamlKind kind() const;
  [[nodiscard]] bool is_null() const { return kind() == YamlKind::null; }
  [[nodiscard]] bool is_scalar() const { return kind() == YamlKind::scalar; }
  [[nodiscard]] bool is_sequence() const { return kind() == YamlKind::sequence; }
  [[nodiscard]] bool is_map() const { return kind() == YamlKind::map; }
  /// The tag as yaml-cpp's parser reports it: "?" for a plain scalar, "!" for
  /// a quoted one, "" for a null or a node made by `--set`.
  [[nodiscard]] std::string_view tag() const;
  [[nodiscard]] YamlMark mark() const;
  /// A scalar's text (empty for other kinds); valid until the tree is edited.
  [[nodiscard]] std::string_view scalar() const;
  /// The items of a sequence or the (key, value) pairs of a map; 0 otherwise.
  [[nodiscard]] std::size_t size() const;
  /// Item `i` of a sequence.
  [[nodiscard]] YamlNode item(std::size_t i) const;
  /// The key and the value of pair `i` of a map, in file order (a key written
  /// twice gives two pairs).
  [[nodiscard]] YamlNode key(std::size_t i) const;
  [[nodiscard]] YamlNode value(std::size_t i) const;
  /// The same node (an alias is the node its anchor names).
  [[nodiscard]] bool is(const YamlNode& other) const {
    return tree_ == other.tree_ && id_ == other.id_;
  }
  [[nodiscard]] std::uint32_t id() const { return id_; }

 private:
  const YamlTree* tree_;
  std::uint32_t id_;
};

/// The nodes of one model and of its `--set` values, in one arena: a node is
/// a fixed-size record, scalars' text sits in one buffer and the children of
/// every collection in one array (a map's as key, value, key, value).
class YamlTree {
 public:
  /// Parses the first document of `text` into the tree and returns its root
  /// (a null node without a mark for an empty text). Invalid YAML throws
  /// yaml-cpp's YAML::Exception, with yaml-cpp's mark and message.
  std::uint32_t parse(std::string_view text);

  [[nodiscard]] YamlNode node(std::uint32_t id) const { return YamlNode(*this, id); }
  [[nodiscard]] std::size_t node_count() const { return nodes_.size(); }

  // Edits for `--set`, with yaml-cpp's meaning (a key compares as text).

  /// A new empty map without a mark.
  std::uint32_t add_map();
  /// The value of the first pair of `map` whose key is the scalar `key`.
  [[nodiscard]] std::optional<std::uint32_t> find(std::uint32_t map, std::string_view key) const;
  /// Appends the pair (`key`, null) to `map` (a null node becomes an empty map
  /// first) and returns the new value's id.
  std::uint32_t insert(std::uint32_t map, std::string_view key);
  /// Removes the first pair of `map` whose key is `key`; false if none.
  bool remove(std::uint32_t map, std::string_view key);
  /// Makes node `to` a copy of node `from` (children shared): everything that
  /// refers to `to`, aliases included, now sees `from`'s content, as
  /// assigning a YAML::Node does.
  void assign(std::uint32_t to, std::uint32_t from);

 private:
  friend class YamlNode;
  friend class YamlTreeBuilder;

  struct Record {
    YamlKind kind = YamlKind::null;
    std::uint32_t tag = 0;  ///< index in tags_
    YamlMark mark;
    std::uint32_t first = 0;  ///< scalar: offset in chars_; collection: offset in children_
    std::uint32_t size = 0;   ///< scalar: length; sequence: items; map: pairs
  };

  std::uint32_t add(YamlKind kind, std::string_view tag, YamlMark mark);
  std::uint32_t add_scalar(std::string_view text, std::string_view tag, YamlMark mark);
  std::uint32_t intern_tag(std::string_view tag);
  /// Gives collection `id` the children `ids` (copied to the end of children_).
  void set_children(std::uint32_t id, const std::uint32_t* ids, std::size_t count);

  std::vector<Record> nodes_;
  std::vector<std::uint32_t> children_;
  std::string chars_;
  std::vector<std::string> tags_{std::string()};
  std::unordered_map<std::string, std::uint32_t> tag_ids_{{std::string(), 0}};
};

}  // namespace tailsim::model::detail
