// docs/architecture.md's op map against the tree and the dispatch tables: every path it names
// exists, and every dispatch table registered in the library has exactly one row. A renamed file,
// a new op without a row, or a row for an op that is gone fails here.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tensor/dispatch.h"
#include "tests/test_util.h"

using namespace bcl;

namespace {

struct OpRow {
  std::string op;
  std::vector<std::string> tables;
  std::vector<std::string> paths;  // every file named in the row
};

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" `");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" `");
  return s.substr(a, b - a + 1);
}

// "a, b, c" -> {a, b, c}; "-" -> {}.
std::vector<std::string> list_of(const std::string& cell) {
  std::vector<std::string> items;
  std::stringstream ss(cell);
  for (std::string item; std::getline(ss, item, ',');) {
    item = trim(item);
    if (!item.empty() && item != "-") items.push_back(item);
  }
  return items;
}

// The rows between the op-map markers: | op | tables | front-end | reference | CPU | CUDA |
// backward | tests |.
std::vector<OpRow> read_op_map(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read ", path);
  std::vector<OpRow> rows;
  bool inside = false;
  int header_lines = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("<!-- op-map: begin -->") != std::string::npos) {
      inside = true;
      continue;
    }
    if (line.find("<!-- op-map: end -->") != std::string::npos) break;
    if (!inside || line.empty() || line[0] != '|') continue;
    if (header_lines < 2) {  // the header and the |---| line
      ++header_lines;
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string cell; std::getline(ss, cell, '|');) cells.push_back(cell);
    INFO("row: ", line);
    REQUIRE(cells.size() == 8);
    OpRow row;
    row.op = trim(cells[0]);
    row.tables = list_of(cells[1]);
    for (size_t c = 2; c < 8; ++c)
      for (const std::string& p : list_of(cells[c])) row.paths.push_back(p);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_CASE("op_map/every path exists and every dispatch table has one row") {
  const std::vector<OpRow> rows = read_op_map(test::repo_path("docs/architecture.md"));
  REQUIRE(rows.size() >= 10);
  std::map<std::string, std::string> row_of_table;
  for (const OpRow& row : rows) {
    INFO("op ", row.op);
    CHECK(!row.tables.empty());
    for (const std::string& p : row.paths)
      CHECK_MESSAGE(std::filesystem::exists(test::repo_path(p)), p, " does not exist");
    for (const std::string& t : row.tables) {
      CHECK_MESSAGE(row_of_table.count(t) == 0, "table ", t, " has two rows");
      row_of_table[t] = row.op;
    }
  }
  std::set<std::string> registered;
  for (const DispatchTableBase* table : dispatch_tables()) registered.insert(table->op());
  REQUIRE(!registered.empty());
  for (const std::string& t : registered)
    CHECK_MESSAGE(row_of_table.count(t) == 1, "dispatch table ", t, " has no row in the op map");
  for (const auto& [t, op] : row_of_table)
    CHECK_MESSAGE(registered.count(t) == 1, "the op map's row ", op, " names table ", t,
                  ", which the library does not have");
}
