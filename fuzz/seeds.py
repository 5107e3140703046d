#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/{parser,commands}/ (run from the repository root).

Parser seeds: byte 0 picks the limits (bit 0: unauthenticated; bits 1-2: proto-max-bulk-len
512M/16/1K/1M; bit 3: a small inline cap), byte 1 seeds the chunk sizes, then the client's bytes.
Commands seeds: one command per line, arguments split on spaces, 0x01 escapes the next byte.
"""
import os

PARSER = {
    "mbulk_get": (0, 1, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
    "mbulk_pipeline": (0, 7, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
    "mbulk_empty": (0, 3, b"*0\r\n*-1\r\n*1\r\n$0\r\n\r\n"),
    "mbulk_binary": (0, 9, b"*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\x00b\r\r\n"),
    "mbulk_unchecked_tail": (0, 2, b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n"),
    "mbulk_bad_count": (0, 4, b"*abc\r\n"),
    "mbulk_bad_len": (0, 4, b"*1\r\n$-5\r\nPING\r\n"),
    "mbulk_expected_dollar": (0, 4, b"*1\r\n:4\r\nPING\r\n"),
    "mbulk_big_count": (0, 5, b"*2147483648\r\n"),
    "mbulk_bulk_over_cap": (2, 5, b"*1\r\n$17\r\n01234567890123456\r\n"),
    "mbulk_sign_zeros": (0, 6, b"*+1\r\n$04\r\nPING\r\n"),
    "mbulk_partial": (0, 8, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nshort"),
    "unauth_args": (1, 1, b"*11\r\n" + b"$1\r\na\r\n" * 11),
    "unauth_bulk": (1, 2, b"*1\r\n$16385\r\n"),
    "inline_ping": (0, 1, b"PING\r\n"),
    "inline_lf_only": (0, 1, b"SET k v\nGET k\n"),
    "inline_quotes": (0, 11, b"SET \"a b\" 'c d'\r\nECHO \"\\x41\\n\\t\"\r\n"),
    "inline_unbalanced": (0, 3, b"SET \"abc\r\n"),
    "inline_quote_junk": (0, 3, b"SET \"a\"b c\r\n"),
    "inline_blank": (0, 3, b"\r\n   \r\n\n"),
    "inline_nul": (0, 3, b"GET a\x00b\r\nPING\r\n"),
    "inline_small_cap": (8 | 0x10, 5, b"GET aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
    "mixed": (0, 13, b"PING\r\n*1\r\n$4\r\nPING\r\nGET k\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n"),
    "length_line_cap": (8, 5, b"*1\r\n$" + b"1" * 40 + b"\r\n"),
}

COMMANDS = {
    "strings": "SET k v\nGET k\nAPPEND k xyz\nSTRLEN k\nGETRANGE k 0 -1\nSETRANGE k 10 abc\nGETSET k w\nGETDEL k\nMSET a 1 b 2\nMGET a b c\nMSETNX c 3 d 4\nSETNX a 9\nSUBSTR a 0 0",
    "set_options": "SET k v NX\nSET k v XX GET\nSET k v EX 10\nSET k v PX 100 KEEPTTL\nSET k v EXAT 99999999999\nSET k v PXAT 1\nSETEX k 5 v\nPSETEX k 5 v\nGETEX k PERSIST\nGETEX k EX 5",
    "counters": "INCR n\nINCRBY n 5\nDECR n\nDECRBY n -9223372036854775808\nINCRBYFLOAT n 1.5\nINCRBYFLOAT n +inf\nINCR s\nSET s abc\nINCR s",
    "lcs": "MSET a ohmytext b mynewtext\nLCS a b\nLCS a b LEN\nLCS a b IDX MINMATCHLEN 2 WITHMATCHLEN",
    "keys": "SET a 1\nSET b 2\nEXISTS a b z\nTYPE a\nRENAME a c\nRENAMENX b c\nCOPY c d\nCOPY c e DB 1 REPLACE\nMOVE d 2\nKEYS *\nSCAN 0 MATCH * COUNT 10 TYPE string\nRANDOMKEY\nDBSIZE\nDEL c\nUNLINK b\nTOUCH d\nOBJECT ENCODING d\nOBJECT FREQ d\nMEMORY USAGE d",
    "globs": "SET hello 1\nSET hallo 2\nKEYS h?llo\nKEYS h[ae]llo\nKEYS h[^e]llo\nKEYS h[a-b]llo\nKEYS h\\*\nKEYS *l*l*o\nSCAN 0 MATCH [",
    "expire": "SET k v\nEXPIRE k 100\nTTL k\nPTTL k\nEXPIRETIME k\nPEXPIRETIME k\nEXPIRE k 200 GT\nEXPIRE k 50 LT\nEXPIRE k 10 NX\nEXPIRE k 10 XX\nPEXPIRE k 1\nEXPIREAT k 1\nPEXPIREAT k 99999999999999\nPERSIST k\nEXPIRE k -1",
    "hash": "HSET h a 1 b 2\nHGET h a\nHMGET h a z\nHGETALL h\nHKEYS h\nHVALS h\nHLEN h\nHEXISTS h a\nHSTRLEN h a\nHDEL h a z\nHSETNX h c 3\nHMSET h d 4\nHINCRBY h d 5\nHINCRBYFLOAT h d 0.5\nHRANDFIELD h\nHRANDFIELD h -5 WITHVALUES\nHSCAN h 0 MATCH * COUNT 2",
    "zset_basic": "ZADD z 1 a 2 b 3 c\nZADD z NX CH INCR 5 a\nZADD z XX GT CH 10 b\nZADD z LT 0 c\nZSCORE z a\nZMSCORE z a x\nZINCRBY z 2 a\nZCARD z\nZCOUNT z -inf +inf\nZRANK z a\nZREVRANK z a\nZREM z a",
    "zset_ranges": "ZADD z 1 a 2 b 3 c 4 d\nZRANGE z 0 -1 WITHSCORES\nZRANGE z (1 3 BYSCORE LIMIT 0 2\nZRANGE z [a (c BYLEX REV\nZREVRANGE z 0 1\nZRANGEBYSCORE z -inf (3\nZREVRANGEBYSCORE z +inf 1 WITHSCORES LIMIT 1 1\nZRANGEBYLEX z - +\nZREVRANGEBYLEX z + [b\nZLEXCOUNT z - +\nZRANGESTORE d z 0 -1",
    "zset_remove": "ZADD z 1 a 2 b 3 c 4 d 5 e\nZREMRANGEBYRANK z 0 0\nZREMRANGEBYSCORE z (2 3\nZREMRANGEBYLEX z [d [e\nZPOPMIN z\nZPOPMAX z 2\nZMPOP 1 z MIN COUNT 2\nBZPOPMIN z 0.01\nBZMPOP 0 1 z MAX\nZRANDMEMBER z -3 WITHSCORES\nZSCAN z 0",
    "zset_algebra": "ZADD a 1 x 2 y\nZADD b 3 y 4 z\nZUNION 2 a b WITHSCORES\nZINTER 2 a b WEIGHTS 2 3 AGGREGATE MAX\nZDIFF 2 a b\nZUNIONSTORE u 2 a b AGGREGATE MIN\nZINTERSTORE i 2 a b\nZDIFFSTORE d 2 a b\nZINTERCARD 2 a b LIMIT 1",
    "wrongtype": "SET s v\nHSET h f v\nZADD z 1 m\nHGET s f\nZSCORE h m\nGET z\nINCR h\nZUNIONSTORE s 2 h z",
    "multi": "MULTI\nSET k v\nINCR k\nGET k\nEXEC\nMULTI\nFOO\nEXEC\nMULTI\nDISCARD\nEXEC\nMULTI\nMULTI",
    "connection": "PING\nPING hi\nECHO x\nSELECT 3\nSET k v\nSWAPDB 3 0\nSELECT 99\nCLIENT SETNAME fz\nCLIENT GETNAME\nCLIENT ID\nCLIENT INFO\nCLIENT LIST\nCLIENT SETINFO LIB-NAME x\nRESET",
    "resp3": "HELLO 3\nHSET h a 1\nHGETALL h\nZADD z 1.5 a\nZRANGE z 0 -1 WITHSCORES\nZSCORE z a\nGET nokey\nCLIENT INFO\nCONFIG GET maxclients\nHELLO 2",
    "auth": "AUTH x\nCONFIG SET requirepass pw\nRESET\nGET k\nAUTH wrong\nAUTH default pw\nHELLO 3 AUTH default pw SETNAME c\nGET k",
    "server": "INFO\nINFO keyspace commandstats errorstats\nDBSIZE\nTIME\nLASTSAVE\nCOMMAND COUNT\nCOMMAND INFO get\nCOMMAND DOCS set\nCOMMAND GETKEYS set k v\nCOMMAND LIST FILTERBY PATTERN z*\nCONFIG GET *max*\nCONFIG SET hz 20 timeout 5\nCONFIG RESETSTAT\nCONFIG HELP\nMEMORY HELP",
    "persist": "SAVE\nBGSAVE\nBGREWRITEAOF\nCOMPACT\nLASTSAVE\nFLUSHDB\nFLUSHALL ASYNC\nSHUTDOWN ABORT",
    "errors": "GET\nSET k\nNOSUCHCMD a b\nCONFIG NOSUCH\nZADD z nan a\nZRANGE z 0 1 BYSCORE BYLEX\nEXPIRE k 9223372036854775807\nSETRANGE k -1 x\nINCRBY k 1.5",
    "binary": "SET \x01 \x01\n\x01\r\nGET \x01 \nECHO \x01\x00\x01\xff\nHSET h \x01\r\x01\n v",
    "quit": "SET k v\nQUIT\nGET k",
    "shutdown": "SHUTDOWN NOSAVE\nGET k",
}


def main():
    for sub in ("parser", "commands"):
        os.makedirs(os.path.join("fuzz", "corpus", sub), exist_ok=True)
    for name, (flags, seed, body) in PARSER.items():
        with open(os.path.join("fuzz", "corpus", "parser", name), "wb") as f:
            f.write(bytes([flags, seed]) + body)
    for name, body in COMMANDS.items():
        with open(os.path.join("fuzz", "corpus", "commands", name), "wb") as f:
            f.write(body.encode("latin-1"))


if __name__ == "__main__":
    main()
