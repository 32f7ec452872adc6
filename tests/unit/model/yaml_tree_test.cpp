// The loader's compact YAML tree (src/model/yaml_tree.hpp): what it holds for
// each node must be what yaml-cpp's YAML::Node held, since every position in
// a diagnostic comes from it.
#include "model/yaml_tree.hpp"

#include <string>

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

using tailsim::model::detail::YamlKind;
using tailsim::model::detail::YamlNode;
using tailsim::model::detail::YamlTree;

namespace {

/// "line:column" of a node, 1-based as diagnostics print it.
std::string at(const YamlNode& n) {
  return std::to_string(n.mark().line + 1) + ":" + std::to_string(n.mark().column + 1);
}

YamlKind kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return YamlKind::scalar;
    case YAML::NodeType::Sequence:
      return YamlKind::sequence;
    case YAML::NodeType::Map:
      return YamlKind::map;
    default:
      return YamlKind::null;
  }
}

/// Checks that `mine` holds what yaml-cpp's tree holds at `theirs`: kind,
/// tag, mark, text and children in order.
void check_same(const YamlNode& mine, const YAML::Node& theirs) {
  REQUIRE(mine.kind() == kind_of(theirs));
  CHECK(mine.tag() == theirs.Tag());
  CHECK(mine.mark().pos == theirs.Mark().pos);
  CHECK(mine.mark().line == theirs.Mark().line);
  CHECK(mine.mark().column == theirs.Mark().column);
  if (theirs.IsScalar()) {
    CHECK(mine.scalar() == theirs.Scalar());
  }
  REQUIRE(mine.size() == (theirs.IsNull() || theirs.IsScalar() ? 0 : theirs.size()));
  std::size_t i = 0;
  if (theirs.IsSequence()) {
    for (const auto& item : theirs) {
      check_same(mine.item(i++), item);
    }
  } else if (theirs.IsMap()) {
    for (const auto& kv : theirs) {
      check_same(mine.key(i), kv.first);
      check_same(mine.value(i), kv.second);
      ++i;
    }
  }
}

}  // namespace

TEST_CASE("yaml tree: kinds of nodes", "[model][yaml_tree]") {
  YamlTree tree;
  const YamlNode root = tree.node(tree.parse("a: 1\nb: ~\nc: [x, y]\nd: {e: f}\ng:\n"));
  REQUIRE(root.is_map());
  REQUIRE(root.size() == 5);
  CHECK(root.value(0).is_scalar());
  CHECK(root.value(0).scalar() == "1");
  CHECK(root.value(1).is_null());
  CHECK(root.value(2).is_sequence());
  CHECK(root.value(2).size() == 2);
  CHECK(root.value(2).item(1).scalar() == "y");
  CHECK(root.value(3).is_map());
  CHECK(root.value(3).key(0).scalar() == "e");
  CHECK(root.value(4).is_null());  // a key with nothing after it
  CHECK(root.value(1).scalar().empty());
  CHECK(root.value(1).size() == 0);
}

TEST_CASE("yaml tree: marks of maps, lists, values and nulls", "[model][yaml_tree]") {
  YamlTree tree;
  const std::string text = "name: shop\nservices:\n  web:\n    - cpu: 2ms\n    - x\nempty:\n";
  const YamlNode root = tree.node(tree.parse(text));
  CHECK(at(root) == "1:1");
  CHECK(at(root.key(0)) == "1:1");
  CHECK(at(root.value(0)) == "1:7");
  const YamlNode services = root.value(1);
  CHECK(at(services) == "3:3");
  const YamlNode list = services.value(0);
  REQUIRE(list.is_sequence());
  CHECK(at(list) == "4:5");
  CHECK(at(list.item(0)) == "4:7");
  CHECK(at(list.item(0).value(0)) == "4:12");
  CHECK(at(list.item(1)) == "5:7");
  CHECK(list.item(1).mark().pos == static_cast<std::int32_t>(text.find("x\n")));
  // A missing value is marked where the parser stood: the end of the text.
  const YamlNode empty = root.value(2);
  CHECK(empty.is_null());
  CHECK(at(empty) == "7:1");
}

TEST_CASE("yaml tree: a quoted value is tagged '!', a plain one '?'", "[model][yaml_tree]") {
  YamlTree tree;
  const YamlNode root = tree.node(tree.parse("a: \"x y\"\nb: 'z'\nc: plain\nd: !!str 5\ne:\n"));
  CHECK(root.value(0).tag() == "!");
  CHECK(root.value(0).scalar() == "x y");
  CHECK(at(root.value(0)) == "1:4");  // at the opening quote
  CHECK(root.value(1).tag() == "!");
  CHECK(root.value(2).tag() == "?");
  CHECK(root.value(3).tag() == "tag:yaml.org,2002:str");
  CHECK(root.value(4).tag().empty());
}

TEST_CASE("yaml tree: map keys stay in file order, repeats included", "[model][yaml_tree]") {
  YamlTree tree;
  const YamlNode root = tree.node(tree.parse("z: 1\na: 2\nm: 3\na: 4\n"));
  REQUIRE(root.size() == 4);
  CHECK(root.key(0).scalar() == "z");
  CHECK(root.key(1).scalar() == "a");
  CHECK(root.key(2).scalar() == "m");
  CHECK(root.key(3).scalar() == "a");
  CHECK(root.value(3).scalar() == "4");
  CHECK(at(root.key(3)) == "4:1");
}

TEST_CASE("yaml tree: an alias is its anchor's node", "[model][yaml_tree]") {
  YamlTree tree;
  const YamlNode root =
      tree.node(tree.parse("base: &b {cpu: 1}\nother: *b\nlist: [&v 7, *v, *b]\n"));
  CHECK(root.value(1).is(root.value(0)));
  CHECK(at(root.value(1)) == "1:7");  // the anchored node's mark, not the alias's
  const YamlNode list = root.value(2);
  CHECK(list.item(1).is(list.item(0)));
  CHECK(list.item(2).is(root.value(0)));
  CHECK_FALSE(list.item(0).is(list.item(2)));
  const auto nodes = tree.node_count();
  YamlTree plain;
  plain.parse("base: {cpu: 1}\nother: {cpu: 1}\nlist: [7, 7, {cpu: 1}]\n");
  CHECK(nodes < plain.node_count());  // nothing is copied for an alias
}

TEST_CASE("yaml tree: a parse error carries yaml-cpp's mark", "[model][yaml_tree]") {
  const std::string text = "a: 1\nb: [1, 2\nc: 3\n";
  YamlTree tree;
  YAML::Mark mine;
  std::string message;
  try {
    tree.parse(text);
    FAIL("invalid YAML was accepted");
  } catch (const YAML::Exception& e) {
    mine = e.mark;
    message = e.msg;
  }
  try {
    (void)YAML::Load(text);
    FAIL("yaml-cpp accepted invalid YAML");
  } catch (const YAML::Exception& e) {
    CHECK(e.mark.line == mine.line);
    CHECK(e.mark.column == mine.column);
    CHECK(e.msg == message);
  }
  CHECK(mine.line == 2);
  CHECK(mine.column == 1);
}

TEST_CASE("yaml tree: an empty text is a null without a mark", "[model][yaml_tree]") {
  YamlTree tree;
  const YamlNode root = tree.node(tree.parse("# only a comment\n"));
  CHECK(root.is_null());
  CHECK(root.mark().line == -1);
}

TEST_CASE("yaml tree: holds what yaml-cpp's tree holds", "[model][yaml_tree]") {
  const char* texts[] = {
      "version: 1\nservices:\n  web:\n    pod: {cpu: 2, workers: 8}\n    endpoints:\n"
      "      get:\n        - cpu: exp(2ms)\n        -\n        - call: db.q\n"
      "          retry: {attempts: 3}\n",
      "- a\n- 'b'\n- \"c\\td\"\n- [1, [2, [3]]]\n- {? [k]: v, ~: n}\n- |\n  block\n  text\n",
      "a: &x {b: [1, 2]}\nc: *x\nd: !custom 5\ne: >\n  folded\n  line\n",
      "plain\n",
      "[a, b, {c: d, e: f}]\n",
  };
  for (const char* text : texts) {
    INFO(text);
    YamlTree tree;
    check_same(tree.node(tree.parse(text)), YAML::Load(text));
  }
}

TEST_CASE("yaml tree: edits mean what they meant on YAML::Node", "[model][yaml_tree]") {
  YamlTree tree;
  const auto root = tree.parse("a: &x {n: 1}\nb: *x\nc:\nd: 1\nd: 2\n");
  const auto a = tree.find(root, "a");
  REQUIRE(a);
  CHECK_FALSE(tree.find(root, "zz"));
  CHECK(tree.node(*tree.find(root, "d")).scalar() == "1");  // the first of two

  // Assigning replaces the node's content: the alias `b` sees it too.
  tree.assign(*a, tree.parse("[5, 6]"));
  CHECK(tree.node(*tree.find(root, "b")).is_sequence());
  CHECK(tree.node(*tree.find(root, "b")).item(1).scalar() == "6");

  // Inserting into a null makes it a map, keeping its mark.
  const auto c = *tree.find(root, "c");
  const auto c_mark = tree.node(c).mark().line;
  const auto value = tree.insert(c, "k");
  CHECK(tree.node(c).is_map());
  CHECK(tree.node(c).mark().line == c_mark);
  CHECK(tree.node(value).is_null());
  CHECK(tree.node(c).key(0).scalar() == "k");
  CHECK(tree.node(c).key(0).mark().line == -1);  // made by an edit: no place in the text

  // Removing takes the first pair with the key.
  CHECK(tree.remove(root, "d"));
  CHECK(tree.node(*tree.find(root, "d")).scalar() == "2");
  CHECK(tree.remove(root, "d"));
  CHECK_FALSE(tree.remove(root, "d"));
  CHECK(tree.node(root).size() == 3);

  const auto made = tree.add_map();
  CHECK(tree.node(made).is_map());
  CHECK(tree.node(made).size() == 0);
  CHECK(tree.node(made).mark().line == -1);
}
