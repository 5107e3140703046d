// LCS (Redis 7.0): the longest common subsequence of two string values, its length, or the matching
// ranges. Listed in string_commands() (cmd_strings.cpp).
//
// The values are copied out under the keys' locks and the O(N*M) table is built after the locks are
// released, so a large LCS never stalls other commands on those shards. The table is capped, as in
// Redis, at proto-max-bulk-len bytes.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "state.h"

namespace tally {
namespace {

// Redis's texts for LCS errors (not yet in errors.h).

bool is_string(const Entry* e) { return e->value_type() == ValueType::kString; }

struct LcsOpts {
  bool len = false, idx = false, with_match_len = false;
  int64_t min_match_len = 0;
};

// Parses LCS options from argv[3]; replies the error and returns false on a bad one.
bool parse_lcs_opts(Ctx& c, LcsOpts* o) {
  for (std::size_t j = 3; j < c.argc(); ++j) {
    std::string_view a = c.arg(j);
    if (iequals(a, "idx")) {
      o->idx = true;
    } else if (iequals(a, "len")) {
      o->len = true;
    } else if (iequals(a, "withmatchlen")) {
      o->with_match_len = true;
    } else if (iequals(a, "minmatchlen") && j + 1 < c.argc()) {
      if (!parse_int64(c.arg(++j), &o->min_match_len)) {
        c.out.error(err::kNotInteger);
        return false;
      }
      o->min_match_len = std::max<int64_t>(o->min_match_len, 0);
    } else {
      c.out.error(err::kSyntax);
      return false;
    }
  }
  if (o->len && o->idx) {
    c.out.error(err::kLcsLenAndIdx);
    return false;
  }
  return true;
}

struct FreeDeleter {
  void operator()(void* p) const noexcept { std::free(p); }
};

// The (alen+1) x (blen+1) dynamic-programming table: at(i, j) is the LCS length of a[0..i) and b[0..j).
class LcsTable {
 public:
  LcsTable(std::string_view a, std::string_view b, uint32_t* cells) : stride_(b.size() + 1), cells_(cells) {
    for (uint32_t i = 0; i <= a.size(); ++i) {
      for (uint32_t j = 0; j <= b.size(); ++j) {
        if (i == 0 || j == 0) at(i, j) = 0;
        else if (a[i - 1] == b[j - 1]) at(i, j) = at(i - 1, j - 1) + 1;
        else at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  uint32_t& at(uint32_t i, uint32_t j) { return cells_[i * stride_ + j]; }

 private:
  std::size_t stride_;
  uint32_t* cells_;
};

struct LcsMatch {
  uint32_t a_start, a_end, b_start, b_end;
};

// Walks the table back from the end as Redis does, building the LCS string and the matching ranges
// (last match first), keeping ranges of at least min_len bytes.
std::string lcs_walk(LcsTable& tab, std::string_view a, std::string_view b, int64_t min_len,
                     std::vector<LcsMatch>* matches) {
  auto i = static_cast<uint32_t>(a.size()), j = static_cast<uint32_t>(b.size());
  uint32_t idx = tab.at(i, j);
  std::string result(idx, '\0');
  bool open = false;  // whether m holds a range being extended backwards
  LcsMatch m{};
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[--idx] = a[i - 1];
      if (!open) {
        m = {i - 1, i - 1, j - 1, j - 1};
        open = true;
      } else if (m.a_start == i && m.b_start == j) {
        --m.a_start;
        --m.b_start;
      } else {
        emit = true;
      }
      emit = emit || m.a_start == 0 || m.b_start == 0;  // no byte left before it: the range ends
      --i;
      --j;
    } else {
      if (tab.at(i - 1, j) > tab.at(i, j - 1)) --i;
      else --j;
      emit = open;
    }
    if (!emit) continue;
    if (m.a_end - m.a_start + 1 >= static_cast<uint64_t>(min_len)) matches->push_back(m);
    open = false;
  }
  return result;
}

void reply_lcs_idx(Ctx& c, const std::vector<LcsMatch>& matches, uint32_t total, bool with_len) {
  c.out.map(2);
  c.out.bulk("matches");
  c.out.array(matches.size());
  for (const LcsMatch& m : matches) {
    c.out.array(with_len ? 3 : 2);
    c.out.array(2);
    c.out.integer(m.a_start);
    c.out.integer(m.a_end);
    c.out.array(2);
    c.out.integer(m.b_start);
    c.out.integer(m.b_end);
    if (with_len) c.out.integer(m.a_end - m.a_start + 1);
  }
  c.out.bulk("len");
  c.out.integer(total);
}

// Copies both values and checks everything Redis checks before computing. Returns false after
// replying an error. The copies let the O(N*M) work run without holding the shard locks.
bool lcs_inputs(Ctx& c, LcsOpts* o, std::string* a, std::string* b) {
  Txn t(c.ks(), c.db(), c.argv.subspan(1, 2));
  Entry* ea = t.find(0);
  Entry* eb = t.find(1);
  if ((ea && !is_string(ea)) || (eb && !is_string(eb))) {
    c.out.error(err::kLcsNotStrings);
    return false;
  }
  if (!parse_lcs_opts(c, o)) return false;
  char buf_a[24], buf_b[24];
  std::string_view va = ea ? string_value(ea, buf_a) : std::string_view("");
  std::string_view vb = eb ? string_value(eb, buf_b) : std::string_view("");
  if (va.size() >= UINT32_MAX - 1 || vb.size() >= UINT32_MAX - 1) {
    c.out.error(err::kLcsTooLong);
    return false;
  }
  uint64_t cells = (static_cast<uint64_t>(va.size()) + 1) * (vb.size() + 1);
  if (cells > UINT64_MAX / sizeof(uint32_t) ||
      cells * sizeof(uint32_t) > static_cast<uint64_t>(c.server.config.proto_max_bulk_len.load())) {
    c.out.error(err::kLcsTableTooBig);
    return false;
  }
  a->assign(va);
  b->assign(vb);
  return true;
}

}  // namespace

void cmd_lcs(Ctx& c) {
  LcsOpts o;
  std::string a, b;
  if (!lcs_inputs(c, &o, &a, &b)) return;
  std::size_t cells = (a.size() + 1) * (b.size() + 1);
  std::unique_ptr<uint32_t, FreeDeleter> mem(static_cast<uint32_t*>(std::malloc(cells * sizeof(uint32_t))));
  if (!mem) {
    c.out.error(err::kLcsNoMemory);
    return;
  }
  LcsTable tab(a, b, mem.get());
  uint32_t total = tab.at(static_cast<uint32_t>(a.size()), static_cast<uint32_t>(b.size()));
  if (o.len && !o.idx) {
    c.out.integer(total);
    return;
  }
  std::vector<LcsMatch> matches;
  std::string result = lcs_walk(tab, a, b, o.min_match_len, &matches);
  if (o.idx) reply_lcs_idx(c, matches, total, o.with_match_len);
  else c.out.bulk(result);
}

}  // namespace tally
