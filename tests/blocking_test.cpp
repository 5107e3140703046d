// The blocked-client registry (blocking.h): who waits for a key, in what order, and who is woken.
#include "blocking.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client.h"

namespace tally {
namespace {

struct Woken {
  std::vector<uint64_t> ids;
};

// Clients blocked on a key are served in the order they blocked: a later waiter (or a client not
// waiting at all) leaves a filled key to an earlier one in the same database; other databases do not count.
TEST(BlockRegistryTest, EarlierWaitersInTheSameDatabaseComeFirst) {
  Woken woken;
  BlockRegistry r;
  r.notify = [&woken](int, Client*, uint64_t id) { woken.ids.push_back(id); };
  Client a(1, -1), b(2, -1), c(3, -1), outsider(4, -1);
  const std::vector<std::string> q = {"q"}, both = {"p", "q"};
  r.add(&a, 1, 0, 0, q);
  r.add(&c, 3, 0, 5, q);  // database 5
  r.add(&b, 2, 1, 0, both);
  EXPECT_FALSE(r.has_earlier_waiter("q", 0, &a)) << "a blocked first";
  EXPECT_TRUE(r.has_earlier_waiter("q", 0, &b)) << "a blocked before b";
  EXPECT_FALSE(r.has_earlier_waiter("p", 0, &b)) << "nobody before b on p";
  EXPECT_FALSE(r.has_earlier_waiter("q", 5, &c)) << "a and b wait in database 0";
  EXPECT_TRUE(r.has_earlier_waiter("q", 0, &outsider)) << "a client not waiting comes after every waiter";
  EXPECT_FALSE(r.has_earlier_waiter("q", 3, &outsider));
  EXPECT_FALSE(r.has_earlier_waiter("other", 0, &outsider));

  // a is served (or times out): the next waiter of q in database 0 is woken, c (database 5) is not.
  r.remove(&a, q);
  EXPECT_EQ(woken.ids, std::vector<uint64_t>{2});
  EXPECT_FALSE(r.has_earlier_waiter("q", 0, &b));
  // b goes: nobody is left in database 0 on p or q; c is not woken for it.
  woken.ids.clear();
  r.remove(&b, both);
  EXPECT_TRUE(woken.ids.empty());
  EXPECT_EQ(r.waiting(), 1);
  r.remove(&c, q);
  EXPECT_EQ(r.waiting(), 0);
  EXPECT_FALSE(r.has_earlier_waiter("q", 5, &outsider));
}

// A write wakes every waiter of the key, whatever its database (each re-checks its own).
TEST(BlockRegistryTest, SignalWakesEveryWaiterOfTheKey) {
  Woken woken;
  BlockRegistry r;
  r.notify = [&woken](int, Client*, uint64_t id) { woken.ids.push_back(id); };
  Client a(1, -1), b(2, -1), c(3, -1);
  const std::vector<std::string> q = {"q"}, p = {"p"};
  r.add(&a, 1, 0, 0, q);
  r.add(&b, 2, 1, 3, q);
  r.add(&c, 3, 0, 0, p);
  r.signal("q");
  EXPECT_EQ(woken.ids, (std::vector<uint64_t>{1, 2}));
  woken.ids.clear();
  r.signal_all();
  EXPECT_EQ(woken.ids.size(), 3u);
}

}  // namespace
}  // namespace tally
