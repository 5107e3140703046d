// Every error reply text Tally sends, spelled exactly as Redis 7.0 spells it (without the leading '-'
// and the trailing CRLF; the writer adds them). Messages that embed a value are built by the helpers
// at the bottom.
#pragma once

#include <string>
#include <string_view>

namespace tally::err {

inline constexpr std::string_view kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kMinMaxNotFloat = "ERR min or max is not a float";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNanOrInf = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kInvalidExpire = "ERR invalid expire time in '%s' command";  // use invalid_expire()
inline constexpr std::string_view kXxNx = "ERR XX and NX options at the same time are not compatible";
inline constexpr std::string_view kExpireFlags = "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kDbIndex = "ERR DB index is out of range";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kOffsetRange = "ERR offset is out of range";
inline constexpr std::string_view kStringTooBig = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kMustBePositive = "ERR value is out of range, must be positive";
inline constexpr std::string_view kSameObject = "ERR source and destination objects are the same";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kLoading = "LOADING Redis is loading the dataset in memory";
inline constexpr std::string_view kMisconfAof = "MISCONF Errors writing to the AOF file: ";  // + strerror
inline constexpr std::string_view kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kAuthNoPassword =
    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
inline constexpr std::string_view kHelloNoAuth =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
inline constexpr std::string_view kNoPermKey =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
inline constexpr std::string_view kNoPermExecPrefix =
    "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command "
    "is no longer allowed for the following reason: ";
inline constexpr std::string_view kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER "
    "command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store "
    "users in the Redis configuration.";
inline constexpr std::string_view kAclSaveFailed =
    "ERR There was an error trying to save the ACLs. Please check the server logs for more information";
inline constexpr std::string_view kDefaultUserUndeletable = "ERR The 'default' user cannot be removed";
inline constexpr std::string_view kGenpassBits =
    "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096";
inline constexpr std::string_view kProtectedMode =
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the "
    "default user. In this mode connections are only accepted from the loopback interface. If you want to connect "
    "from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode "
    "sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the "
    "same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. "
    "Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by "
    "editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the "
    "server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above "
    "things in order for the server to start accepting connections from the outside.";
inline constexpr std::string_view kNoProto = "NOPROTO unsupported protocol version";
inline constexpr std::string_view kProtoVersion = "ERR Protocol version is not an integer or out of range";
inline constexpr std::string_view kMaxClients = "ERR max number of clients reached";
inline constexpr std::string_view kNoSuchClient = "ERR No such client";
inline constexpr std::string_view kClientNameSpaces = "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr std::string_view kMultiNested = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kNoMulti = "ERR Command not allowed inside a transaction";
inline constexpr std::string_view kExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr std::string_view kDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr std::string_view kWatchInMulti = "ERR WATCH inside MULTI is not allowed";
inline constexpr std::string_view kExecAbort = "EXECABORT Transaction discarded because of previous errors.";
inline constexpr std::string_view kClusterDisabled = "ERR This instance has cluster support disabled";
inline constexpr std::string_view kInvalidTimeout = "ERR timeout is not an integer or out of range";

inline constexpr std::string_view kDecrOverflow = "ERR decrement would overflow";
inline constexpr std::string_view kLcsNotStrings = "ERR The specified keys must contain string values";
inline constexpr std::string_view kLcsLenAndIdx = "ERR If you want both the length and indexes, please just use IDX.";
inline constexpr std::string_view kLcsTooLong = "ERR String too long for LCS";
inline constexpr std::string_view kLcsTableTooBig =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
inline constexpr std::string_view kLcsNoMemory = "ERR Insufficient memory, failed allocating transient memory for LCS";
inline constexpr std::string_view kIntRange = "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr std::string_view kFirstDbIndex = "ERR invalid first DB index";
inline constexpr std::string_view kSecondDbIndex = "ERR invalid second DB index";
inline constexpr std::string_view kNoLfu =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";
inline constexpr std::string_view kHashNotInteger = "ERR hash value is not an integer";
inline constexpr std::string_view kHashNotFloat = "ERR hash value is not a float";
inline constexpr std::string_view kIncrNanOrInf = "ERR value is NaN or Infinity";
inline constexpr std::string_view kOutOfRange = "ERR value is out of range";
inline constexpr std::string_view kCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
inline constexpr std::string_view kInvalidCommand = "ERR Invalid command specified";
inline constexpr std::string_view kNoKeyArguments = "ERR The command has no key arguments";
inline constexpr std::string_view kInvalidArgCount = "ERR Invalid number of arguments specified for command";
inline constexpr std::string_view kInvalidArgs = "ERR Invalid arguments specified for command";
inline constexpr std::string_view kNoConfigFile = "ERR The server is running without a config file";
inline constexpr std::string_view kRewriteUnsupported = "ERR Rewriting config file: Operation not supported";
inline constexpr std::string_view kNoShutdown = "ERR No shutdown in progress.";
inline constexpr std::string_view kShutdownFailed = "ERR Errors trying to SHUTDOWN. Check logs.";
inline constexpr std::string_view kInvalidClientId = "ERR Invalid client ID";
inline constexpr std::string_view kClientIdPositive = "ERR client-id should be greater than 0";
inline constexpr std::string_view kZaddFlags = "ERR GT, LT, and/or NX options at the same time are not compatible";
inline constexpr std::string_view kZaddIncrPair = "ERR INCR option supports a single increment-element pair";
inline constexpr std::string_view kScoreNan = "ERR resulting score is not a number (NaN)";
inline constexpr std::string_view kLexRange = "ERR min or max not valid string range item";
inline constexpr std::string_view kLimitNeedsBy = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
inline constexpr std::string_view kWithscoresBylex = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
inline constexpr std::string_view kTimeoutNotFloat = "ERR timeout is not a float or out of range";
inline constexpr std::string_view kTimeoutNegative = "ERR timeout is negative";
inline constexpr std::string_view kNumkeysPositive = "ERR numkeys should be greater than 0";
inline constexpr std::string_view kCountPositive = "ERR count should be greater than 0";
inline constexpr std::string_view kWeightNotFloat = "ERR weight value is not a float";
inline constexpr std::string_view kLimitNegative = "ERR LIMIT can't be negative";
inline constexpr std::string_view kGtLt = "ERR GT and LT options at the same time are not compatible";
// maxmemory (evict.cpp): a command refused while used memory is over the limit, and EXEC refused
// because its queue holds such a command; OBJECT IDLETIME under an LFU policy.
inline constexpr std::string_view kOom = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kExecAbortOom =
    "EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kLfuNoIdletime =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";

// Protocol errors (the connection is closed after them).
inline constexpr std::string_view kProtoMultibulkLen = "ERR Protocol error: invalid multibulk length";
inline constexpr std::string_view kProtoBulkLen = "ERR Protocol error: invalid bulk length";
inline constexpr std::string_view kProtoUnbalanced = "ERR Protocol error: unbalanced quotes in request";
inline constexpr std::string_view kProtoInlineTooBig = "ERR Protocol error: too big inline request";
inline constexpr std::string_view kProtoMbulkCountTooBig = "ERR Protocol error: too big mbulk count string";
inline constexpr std::string_view kProtoBulkCountTooBig = "ERR Protocol error: too big bulk count string";
inline constexpr std::string_view kProtoUnauthMultibulk = "ERR Protocol error: unauthenticated multibulk length";
inline constexpr std::string_view kProtoUnauthBulk = "ERR Protocol error: unauthenticated bulk length";

// "ERR wrong number of arguments for 'get' command"
std::string wrong_args(std::string_view lowercase_name);
// "ERR unknown command 'FOO', with args beginning with: 'a' 'b' "
std::string unknown_command(std::string_view name, const std::string_view* args, std::size_t nargs);
// "ERR unknown subcommand 'foo'. Try CONFIG HELP."
std::string unknown_subcommand(std::string_view sub, std::string_view parent_upper);
// "ERR invalid expire time in 'set' command"
std::string invalid_expire(std::string_view lowercase_name);
// "ERR Syntax error in HELLO option 'FOO'"
std::string hello_option(std::string_view opt);
// "ERR Unknown client type 'foo'"
std::string unknown_client_type(std::string_view type);
// "ERR No such user 'bob'"
std::string no_such_user(std::string_view user);
// "NOPERM this user has no permissions to run the 'config|get' command"
std::string no_perm_command(std::string_view full_name);
// "ERR Unrecognized option 'foo'" (CLIENT SETINFO)
std::string unrecognized_option(std::string_view opt);
// "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
std::string config_set_unknown(std::string_view name);
// "ERR CONFIG SET failed (possibly related to argument 'foo') - " (the reason follows)
std::string config_set_failed(std::string_view name);
// "ERR at least 1 input key is needed for 'zunionstore' command"
std::string need_input_key(std::string_view lowercase_name);
// "ERR Unsupported option foo"
std::string unsupported_option(std::string_view opt);
// "ERR Protocol error: expected '$', got 'G'"
std::string expected_dollar(char got);

}  // namespace tally::err
