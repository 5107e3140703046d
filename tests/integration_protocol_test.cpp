// Wire protocol end to end, byte for byte over raw sockets: inline commands, quoting, leniency, every protocol
// error (reply then close), unknown-command/arity texts, big pipelines, and many concurrent connections.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/harness.h"

namespace tally_test {
namespace {

class ProtocolTest : public SharedServerTest {};

TEST_F(ProtocolTest, InlinePing) {
  RawConn conn(port());
  ExpectRaw(conn, "PING\r\n", "+PONG\r\n");
  ExpectRaw(conn, "PING\n", "+PONG\r\n");
  ExpectRaw(conn, "  PING  \r\n", "+PONG\r\n");
  ExpectRaw(conn, "ping\r\n", "+PONG\r\n");
  ExpectRaw(conn, "PING hello\r\n", "$5\r\nhello\r\n");
  ExpectRaw(conn, "ping\tpong\r\n", "$4\r\npong\r\n");  // tabs separate too
  ExpectRaw(conn, "ECHO  a   \r\n", "$1\r\na\r\n");
  ExpectRaw(conn, "ECHO  a   b\r\n", "-ERR wrong number of arguments for 'echo' command\r\n");
  ExpectRaw(conn, "SET inl v\r\nGET inl\r\n", "+OK\r\n$1\r\nv\r\n");
}

TEST_F(ProtocolTest, InlineQuoting) {
  RawConn conn(port());
  ExpectRaw(conn, "SET k \"a\\x41\\n\"\r\n", "+OK\r\n");
  ExpectRaw(conn, "GET k\r\n", "$3\r\naA\n\r\n");
  ExpectRaw(conn, "SET k 'a b'\r\nGET k\r\n", "+OK\r\n$3\r\na b\r\n");
  ExpectRaw(conn, "SET k \"a\\\"b\" \r\nGET k\r\n", "+OK\r\n$3\r\na\"b\r\n");
  ExpectRaw(conn, "SET k 'it\\'s'\r\nGET k\r\n", "+OK\r\n$4\r\nit's\r\n");
  ExpectRaw(conn, "SET k \"\"\r\nSTRLEN k\r\n", "+OK\r\n:0\r\n");
  ExpectRaw(conn, "ECHO \"\\t\\r\\x4g\"\r\n", "$5\r\n\t\rx4g\r\n");  // a bad \x escape is kept literally (minus the backslash)
  ExpectRaw(conn, "ECHO \"\\xzz\"\r\n", "$3\r\nxzz\r\n");
  ExpectRaw(conn, "ECHO \"\\x00\\xff\"\r\n", std::string("$2\r\n\0\xff\r\n", 8));
  ExpectRaw(conn, "ECHO 'a\\nb'\r\n", "$4\r\na\\nb\r\n");  // no escapes in single quotes
}

TEST_F(ProtocolTest, BlankLinesAndEmptyMultibulksAreIgnored) {
  RawConn conn(port());
  ExpectRaw(conn, "\r\n\r\nPING\r\n", "+PONG\r\n");
  ExpectRaw(conn, "\n\nPING\r\n", "+PONG\r\n");
  ExpectRaw(conn, "   \r\nPING\r\n", "+PONG\r\n");
  ExpectRaw(conn, "*0\r\nPING\r\n", "+PONG\r\n");
  ExpectRaw(conn, "*-1\r\n*-5\r\n*0\r\n*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
  // What redis-cli --pipe sends: a bare CRLF, then an ECHO of 20 binary bytes.
  std::string mark("\x00\r\n\xff\x01" "abcdefghijklmno", 20);
  ExpectRaw(conn, "SET a 1\r\n\r\n*2\r\n$4\r\nECHO\r\n$20\r\n" + mark + "\r\n", "+OK\r\n$20\r\n" + mark + "\r\n");
}

TEST_F(ProtocolTest, LenientAndFragmentedInput) {
  RawConn conn(port());
  // The two bytes after a bulk are skipped unchecked.
  ExpectRaw(conn, "*1\r\n$4\r\nPINGxx", "+PONG\r\n");
  ExpectRaw(conn, "PING\r\n", "+PONG\r\n");
  // A bulk may contain CR/LF.
  ExpectRaw(conn, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n", "+OK\r\n");
  ExpectRaw(conn, "GET k\r\n", "$4\r\na\r\nb\r\n");
  // Commands split across writes at every position.
  std::string cmd = Resp({"SET", "frag", "value"});
  for (size_t cut = 1; cut < cmd.size(); cut += 3) {
    ASSERT_TRUE(conn.Send(cmd.substr(0, cut)));
    EXPECT_EQ(conn.ReadAvailable(cut % 5 == 1 ? 20 : 0), "") << "replied to a partial command (cut " << cut << ")";
    ExpectRaw(conn, cmd.substr(cut), "+OK\r\n");
  }
  // One byte per write.
  std::string get = Resp({"GET", "frag"});
  for (size_t i = 0; i + 1 < get.size(); ++i) ASSERT_TRUE(conn.Send(get.substr(i, 1)));
  ExpectRaw(conn, get.substr(get.size() - 1), "$5\r\nvalue\r\n");
  // Inline split too.
  ASSERT_TRUE(conn.Send("PI"));
  EXPECT_EQ(conn.ReadAvailable(20), "");
  ExpectRaw(conn, "NG\r\n", "+PONG\r\n");
  // Empty bulk as command name.
  ExpectRaw(conn, "*1\r\n$0\r\n\r\n", "-ERR unknown command '', with args beginning with: \r\n");
}

struct ProtoErrorCase {
  std::string request;
  std::string reply;
};

TEST_F(ProtocolTest, ProtocolErrorsReplyThenClose) {
  const std::string mbulk = "-ERR Protocol error: invalid multibulk length\r\n";
  const std::string bulk = "-ERR Protocol error: invalid bulk length\r\n";
  const std::string quotes = "-ERR Protocol error: unbalanced quotes in request\r\n";
  const std::vector<ProtoErrorCase> cases = {
      {"*abc\r\n", mbulk},
      {"*1 \r\n", mbulk},
      {"*+1\r\n", mbulk},
      {"*01\r\n", mbulk},
      {"*3000000000\r\n", mbulk},
      {"*1\r\n$abc\r\n", bulk},
      {"*1\r\n$-1\r\n", bulk},
      {"*1\r\n$+4\r\n", bulk},
      {"*1\r\n$536870913\r\n", bulk},
      {"*1\r\nGET\r\n", "-ERR Protocol error: expected '$', got 'G'\r\n"},
      {"*2\r\n$3\r\nGET\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"},
      {"\"abc\r\n", quotes},
      {"'a'b\r\n", quotes},
      {"SET k \"a\"b\r\n", quotes},
      {"ECHO \"a\r\n", quotes},
      {std::string(70000, 'a'), "-ERR Protocol error: too big inline request\r\n"},
      {"*" + std::string(70000, '1'), "-ERR Protocol error: too big mbulk count string\r\n"},
      {"*1\r\n$" + std::string(70000, '1'), "-ERR Protocol error: too big bulk count string\r\n"},
      // Commands before the bad one run; the error comes after their replies.
      {"PING\r\n*abc\r\n", "+PONG\r\n" + mbulk},
      {"*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n", "+PONG\r\n" + bulk},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE("request: " + Escape(tc.request.substr(0, 40)));
    RawConn conn(port());
    ExpectRawThenClose(conn, tc.request, tc.reply);
  }
  // Nothing after a protocol error runs.
  RawConn conn(port());
  ExpectRawThenClose(conn, "*abc\r\nSET after-error 1\r\n", mbulk);
  SleepMs(20);
  ExpectInt(Cmd(c(), {"EXISTS", "after-error"}), 0);
  ExpectStatus(Cmd(c(), {"PING"}), "PONG");
}

TEST_F(ProtocolTest, InlineLimitIsInclusive) {
  // Exactly 64 KiB without a newline is still accepted (only more is an error); the line then runs as a command.
  RawConn conn(port());
  ASSERT_TRUE(conn.Send(std::string(65536, 'a')));
  EXPECT_EQ(conn.ReadAvailable(150), "");
  EXPECT_FALSE(conn.peer_closed());
  ExpectRaw(conn, "\r\n", "-ERR unknown command '" + std::string(128, 'a') + "', with args beginning with: \r\n");
  ExpectRaw(conn, "PING\r\n", "+PONG\r\n");
}

TEST_F(ProtocolTest, UnknownCommandText) {
  RawConn conn(port());
  ExpectRaw(conn, "FOOBAR a b c\r\n", "-ERR unknown command 'FOOBAR', with args beginning with: 'a' 'b' 'c' \r\n");
  ExpectRaw(conn, "FOOBAR\r\n", "-ERR unknown command 'FOOBAR', with args beginning with: \r\n");
  ExpectRaw(conn, "fooBar x\r\n", "-ERR unknown command 'fooBar', with args beginning with: 'x' \r\n");
  ExpectRaw(conn, Resp({"NOPE", "a b", ""}), "-ERR unknown command 'NOPE', with args beginning with: 'a b' '' \r\n");
  // CR/LF inside the text become spaces.
  ExpectRaw(conn, Resp({"FOOBAR", "a\r\nbc"}), "-ERR unknown command 'FOOBAR', with args beginning with: 'a  bc' \r\n");
  // The argument list stops once it reaches 128 characters; each argument is cut to what is left.
  ExpectRaw(conn, "FOOBAR " + std::string(200, 'x') + "\r\n",
            "-ERR unknown command 'FOOBAR', with args beginning with: '" + std::string(128, 'x') + "' \r\n");
  std::string many = "FOOBAR";
  for (int i = 0; i < 20; ++i) many += " abcdefghij";
  std::string shown;
  for (int i = 0; i < 10; ++i) shown += "'abcdefghij' ";
  ExpectRaw(conn, many + "\r\n", "-ERR unknown command 'FOOBAR', with args beginning with: " + shown + "\r\n");
  // The command name is cut at 128 characters.
  ExpectRaw(conn, Resp({std::string(150, 'Y')}), "-ERR unknown command '" + std::string(128, 'Y') + "', with args beginning with: \r\n");
  ExpectRaw(conn, "PING\r\n", "+PONG\r\n");  // the connection survives all of these
}

TEST_F(ProtocolTest, WrongArityText) {
  RawConn conn(port());
  ExpectRaw(conn, "GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n");
  ExpectRaw(conn, "GeT a b\r\n", "-ERR wrong number of arguments for 'get' command\r\n");
  ExpectRaw(conn, "SET k\r\n", "-ERR wrong number of arguments for 'set' command\r\n");
  ExpectRaw(conn, "CONFIG GET\r\n", "-ERR wrong number of arguments for 'config|get' command\r\n");
  ExpectRaw(conn, "Config Get\r\n", "-ERR wrong number of arguments for 'config|get' command\r\n");
  ExpectRaw(conn, "CLIENT SETNAME\r\n", "-ERR wrong number of arguments for 'client|setname' command\r\n");
  ExpectRaw(conn, "CONFIG FOO\r\n", "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n");
  ExpectRaw(conn, "config foo\r\n", "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n");
  ExpectRaw(conn, "CONFIG\r\n", "-ERR wrong number of arguments for 'config' command\r\n");
}

TEST_F(ProtocolTest, Pipeline10kInOneWrite) {
  RawConn conn(port());
  std::string req, expected;
  for (int i = 1; i <= 10000; ++i) {
    req += Resp({"INCR", "counter"});
    expected += ":" + std::to_string(i) + "\r\n";
  }
  ASSERT_TRUE(conn.Send(req));
  std::string got = conn.Read(expected.size(), 15000);
  ASSERT_EQ(got.size(), expected.size()) << "got " << got.size() << " of " << expected.size() << " bytes";
  EXPECT_TRUE(got == expected) << "replies out of order or wrong";
  EXPECT_EQ(conn.ReadAvailable(50), "");

  // Mixed inline and multibulk, with values, in one write.
  std::string req2, exp2;
  for (int i = 0; i < 10000; ++i) {
    std::string k = "k" + std::to_string(i);
    if (i % 2) {
      req2 += "SET " + k + " v" + std::to_string(i) + "\r\n";
    } else {
      req2 += Resp({"SET", k, "v" + std::to_string(i)});
    }
    exp2 += "+OK\r\n";
  }
  for (int i = 0; i < 10000; i += 7) {
    req2 += Resp({"GET", "k" + std::to_string(i)});
    std::string v = "v" + std::to_string(i);
    exp2 += "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
  }
  ASSERT_TRUE(conn.Send(req2));
  got = conn.Read(exp2.size(), 15000);
  EXPECT_EQ(got.size(), exp2.size());
  EXPECT_TRUE(got == exp2) << "pipelined SET/GET replies differ";
}

TEST_F(ProtocolTest, HiredisPipeline) {
  for (int i = 0; i < 10000; ++i) Append(c(), {"SET", "p" + std::to_string(i), std::string(i % 50, 'x') + std::to_string(i)});
  for (int i = 0; i < 10000; ++i) Append(c(), {"GET", "p" + std::to_string(i)});
  for (int i = 0; i < 10000; ++i) {
    Reply r = GetReply(c());
    ASSERT_TRUE(IsStatus(r.get(), "OK")) << "SET #" << i;
  }
  for (int i = 0; i < 10000; ++i) {
    Reply r = GetReply(c());
    ASSERT_TRUE(IsBulk(r.get(), std::string(i % 50, 'x') + std::to_string(i))) << "GET #" << i;
  }
  ExpectInt(Cmd(c(), {"DBSIZE"}), 10000);
}

TEST_F(ProtocolTest, BigValues) {
  std::string big(4 << 20, 'z');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
  ExpectOk(Cmd(c(), {"SET", "big", big}));
  ExpectBulk(Cmd(c(), {"GET", "big"}), big);
  ExpectInt(Cmd(c(), {"STRLEN", "big"}), static_cast<long long>(big.size()));
  ExpectInt(Cmd(c(), {"APPEND", "big", big}), static_cast<long long>(2 * big.size()));
  Reply r = Cmd(c(), {"GETRANGE", "big", std::to_string(big.size() - 1), std::to_string(big.size())});
  ExpectBulk(r, big.substr(big.size() - 1) + big.substr(0, 1));
}

TEST_F(ProtocolTest, ProtocolErrorLeavesOtherConnectionsIntact) {
  RawConn b(port());
  // b is halfway through a SET when a's connection breaks.
  ASSERT_TRUE(b.Send("*3\r\n$3\r\nSET\r\n$6\r\nshared\r\n$5\r\nhel"));
  SleepMs(20);
  RawConn a(port());
  ExpectRawThenClose(a, "*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n");
  ExpectRaw(b, "lo\r\n", "+OK\r\n");
  ExpectRaw(b, "GET shared\r\n", "$5\r\nhello\r\n");
  ExpectBulk(Cmd(c(), {"GET", "shared"}), "hello");
}

TEST_F(ProtocolTest, ClientClosingMidCommandHarmsNoOne) {
  Client other = NewClient();
  ExpectOk(Cmd(other, {"SET", "x", "1"}));
  {
    RawConn gone(port());
    ASSERT_TRUE(gone.Send("*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc"));
    SleepMs(20);
  }  // closed with the command unfinished
  {
    // Closes with a big pipeline of replies still unread.
    RawConn greedy(port());
    ExpectOk(Cmd(c(), {"SET", "blob", std::string(100000, 'b')}));
    std::string req;
    for (int i = 0; i < 200; ++i) req += "GET blob\r\n";
    ASSERT_TRUE(greedy.Send(req));
  }
  {
    RawConn inline_gone(port());
    ASSERT_TRUE(inline_gone.Send("SET half2 abc"));
  }
  SleepMs(100);
  ExpectInt(Cmd(c(), {"EXISTS", "half", "half2"}), 0);
  ExpectStatus(Cmd(other, {"PING"}), "PONG");
  ExpectInt(Cmd(other, {"INCR", "x"}), 2);
  ExpectStatus(Cmd(c(), {"PING"}), "PONG");
  Client fresh = NewClient();
  ExpectBulk(Cmd(fresh, {"GET", "x"}), "2");
}

TEST_F(ProtocolTest, ManyConcurrentConnections) {
  constexpr int kClients = 200;
  constexpr int kIncrs = 50;
  std::atomic<int> connect_failures{0}, wrong_replies{0};
  std::vector<std::string> first_error(kClients);
  std::vector<std::thread> threads;
  const int p = port();
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      Client cl(p, 10000);
      if (!cl.ok()) {
        ++connect_failures;
        return;
      }
      auto check = [&](::testing::AssertionResult res) {
        if (!res) {
          if (first_error[t].empty()) first_error[t] = res.message();
          ++wrong_replies;
        }
      };
      std::string key = "client:" + std::to_string(t);
      std::string val = "value-" + std::to_string(t) + std::string(t % 100, '.');
      check(IsStatus(Cmd(cl, {"SET", key, val}).get(), "OK"));
      for (int i = 0; i < kIncrs; ++i) {
        Reply r = Cmd(cl, {"INCR", "shared-counter"});
        check(r && r->type == REDIS_REPLY_INTEGER ? ::testing::AssertionSuccess()
                                                 : ::testing::AssertionFailure() << "INCR gave " << Describe(r.get()));
        check(IsBulk(Cmd(cl, {"GET", key}).get(), val));
      }
      check(IsInt(Cmd(cl, {"APPEND", key, "!"}).get(), static_cast<long long>(val.size() + 1)));
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(connect_failures.load(), 0);
  EXPECT_EQ(wrong_replies.load(), 0);
  for (int t = 0; t < kClients; ++t) EXPECT_TRUE(first_error[t].empty()) << "client " << t << ": " << first_error[t];
  ExpectBulk(Cmd(c(), {"GET", "shared-counter"}), std::to_string(kClients * kIncrs));
  ExpectInt(Cmd(c(), {"DBSIZE"}), kClients + 1);
  for (int t = 0; t < kClients; t += 37) {
    ExpectBulk(Cmd(c(), {"GET", "client:" + std::to_string(t)}), "value-" + std::to_string(t) + std::string(t % 100, '.') + "!");
  }
}

TEST_F(ProtocolTest, MultiKeyCommandsAreAtomicUnderConcurrency) {
  // Redis runs each command alone; a threaded server must not let readers see half of an MSET or a RENAME.
  ExpectOk(Cmd(c(), {"MSET", "x", "0", "y", "0", "z", "0", "{pp}a", "token"}));
  std::atomic<int> torn_mget{0}, renames_seen_wrong{0}, errors{0};
  std::string first_problem;
  std::mutex mu;
  auto note = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    if (first_problem.empty()) first_problem = what;
  };
  const int p = port();
  std::vector<std::thread> threads;
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      Client cl(p);
      for (int i = 0; i < 1500; ++i) {
        std::string v = std::to_string(w) + ":" + std::to_string(i);
        if (!IsStatus(Cmd(cl, {"MSET", "x", v, "y", v, "z", v}).get(), "OK")) ++errors;
      }
    });
  }
  threads.emplace_back([&] {
    Client cl(p);
    for (int i = 0; i < 1500; ++i) {
      // Moves the one key back and forth.
      Reply r = Cmd(cl, {"RENAME", i % 2 ? "{pp}b" : "{pp}a", i % 2 ? "{pp}a" : "{pp}b"});
      if (!IsStatus(r.get(), "OK")) {
        ++errors;
        note("RENAME: " + Describe(r.get()));
      }
    }
  });
  for (int rd = 0; rd < 3; ++rd) {
    threads.emplace_back([&] {
      Client cl(p);
      for (int i = 0; i < 1500; ++i) {
        Reply m = Cmd(cl, {"MGET", "x", "y", "z"});
        auto v = Strings(m.get());
        if (v.size() != 3 || v[0] != v[1] || v[1] != v[2]) {
          ++torn_mget;
          note("MGET saw " + Describe(m.get()));
        }
        Reply e = Cmd(cl, {"EXISTS", "{pp}a", "{pp}b"});
        if (!IsInt(e.get(), 1)) {
          ++renames_seen_wrong;
          note("EXISTS during RENAME gave " + Describe(e.get()));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0) << first_problem;
  EXPECT_EQ(torn_mget.load(), 0) << first_problem;
  EXPECT_EQ(renames_seen_wrong.load(), 0) << first_problem;
  ExpectInt(Cmd(c(), {"EXISTS", "{pp}a", "{pp}b"}), 1);
}

}  // namespace
}  // namespace tally_test
