"""Starting and measuring the servers the bench scripts compare (standard library only).

Server(name, binary, workdir, extra) starts Tally or redis-server on a free loopback port in its own
directory with the settings both accept (--bind, --dir, --save "", --appendonly), waits until it answers
PING (unless wait=False), and stops it with SIGTERM (SIGKILL after 10 s) or kills it with SIGKILL. A
second Server with the same name and workdir restarts on the first one's files. cpu_snapshot(),
cpu_since() and rss_mb() read /proc.
"""
import os
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def cpu_snapshot(pid):
    """CPU time each thread of the process has used so far: {tid: seconds}, for cpu_since().

    From each thread's /proc/<pid>/task/<tid>/schedstat (nanoseconds); /proc/<pid>/stat counts in clock
    ticks (10 ms), which is 10% of a 0.1 s benchmark run. Where schedstat is missing, the whole process's
    ticks under the key None."""
    threads = {}
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    threads[int(tid)] = int(f.read().split()[0]) / 1e9
            except (OSError, ValueError, IndexError):
                pass  # a thread that just exited
    except OSError:
        pass
    if threads and sum(threads.values()) > 0:
        return threads
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return {None: (int(fields[11]) + int(fields[12])) / CLK_TCK}


def cpu_since(pid, before):
    """CPU seconds the process used since cpu_snapshot() returned `before`.

    Summed thread by thread, so that a thread that ended meanwhile (an io_uring worker that idled out)
    does not take its earlier time out of the sum: only its time after `before` is missing, which for a
    thread that ended idle is none."""
    after = cpu_snapshot(pid)
    return sum(max(0.0, t - before.get(tid, 0.0)) for tid, t in after.items())


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Server:
    def __init__(self, name, binary, workdir, extra=(), appendonly="no", wait=True):
        self.name, self.port = name, free_port()
        self.sock = None  # a Unix socket path, where the caller adds --unixsocket (compare.py --unix)
        self.dir = d = os.path.join(workdir, name)
        os.makedirs(d, exist_ok=True)  # a restart finds its files here
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", d,
                "--appendonly", appendonly, "--save", ""] + list(extra)
        self.started = time.monotonic()  # just before the process exists: restart timings count from here
        self.proc = subprocess.Popen(argv, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait:
            try:
                wait_ready(self.port, self.proc)
            except BaseException:
                self.kill()
                raise

    def stop(self):
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self):
        """SIGKILL: no shutdown work (no final fsync, no rewrite); what the server wrote stays as it is."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


# RESP: encoding and an incremental reply parser.

class ReplyError(Exception):
    pass


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def parse(buf, pos):
    """Parses one reply from buf at pos. Returns (value, next_pos), or None while incomplete.

    Error replies come back as ReplyError instances (not raised), so a caller that pipelines can keep
    reading the replies after one.
    """
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None
    kind, line = buf[pos:pos + 1], buf[pos + 1:end]
    pos = end + 2
    if kind == b"+":
        return line, pos
    if kind == b"-":
        return ReplyError(line.decode(errors="replace")), pos
    if kind == b":":
        return int(line), pos
    if kind == b"$":
        n = int(line)
        if n < 0:
            return None, pos
        if len(buf) < pos + n + 2:
            return None
        return buf[pos:pos + n], pos + n + 2
    if kind == b"*":
        n = int(line)
        if n < 0:
            return None, pos
        items = []
        for _ in range(n):
            r = parse(buf, pos)
            if r is None:
                return None
            items.append(r[0])
            pos = r[1]
        return items, pos
    raise ValueError(f"bad RESP reply type {kind!r}")
