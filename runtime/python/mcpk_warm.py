"""Warm runner: a fork server for one component version inside its sandbox.

The kernel starts this process through the full sandbox chain (cgroup leaf,
rlimits, no_new_privs, bubblewrap namespaces, seccomp) exactly as it starts a
cold step, with the step's own command line after the interpreter:

    python -B mcpk_warm.py SCRIPT ARGS...     # e.g. .../mcpk_runner.py script /step/main.py
    python -B mcpk_warm.py --exec PROGRAM ARGS...   # not Python (node): exec'd in each fork

It imports what the step will need (the `mcpk` helper, the runner, the
component's code compiled and its top-level imports), then serves the kernel
over fd 3, a Unix socket (one JSON object per line):

    runner -> kernel  {"ready": true}
    kernel -> runner  {"op": "run", "env": {...}}  + 4 descriptors (SCM_RIGHTS):
                      the attempt's stdout, stderr, channel (fd 3) and answers (fd 4)
    runner -> kernel  {"started": PID}
    kernel -> runner  {"op": "kill", "signal": N}      (timeout, cancel)
    runner -> kernel  {"exited": STATUS, "signal": N, "stragglers": K}

Every attempt runs in a FRESH FORK of this process (its own process group,
stdio, channel, environment), so no Python state passes from one step to the
next. After the fork exits the runner kills every other process left in its
pid namespace, removes SysV IPC objects and whatever the step left in the
writable places (/tmp, /dev/shm, /dev) before it reports the exit; the kernel
cleans the work dir. EOF on fd 3 ends the runner.
"""
import json
import os
import select
import signal
import socket
import sys

CONTROL_FD = 3
STEP_FDS = 4  # stdout, stderr, channel, answers
MAX_REQUEST = 1 << 20
WRITABLE = ("/tmp", "/dev/shm", "/dev")
PR_SET_DUMPABLE = 4
IPC_RMID = 0


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _listing(path):
    try:
        return set(os.listdir(path))
    except OSError:
        return set()


def _remove(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            for name in os.listdir(path):
                _remove(os.path.join(path, name))
            os.rmdir(path)
        else:
            os.unlink(path)
    except OSError:
        pass


class Runner:
    def __init__(self, argv):
        self.ctl = socket.socket(fileno=CONTROL_FD)
        self.ctl.setblocking(True)
        self.pending = b""
        self.exec_mode = bool(argv) and argv[0] == "--exec"
        if self.exec_mode:
            if len(argv) < 2:
                raise SystemExit("mcpk_warm: --exec needs a program")
            self.script, self.args = argv[1], argv[2:]
        else:
            self.script, self.args = self._split(argv)
        self.libc = _libc()
        # A step (a fork of this process, same uid) must not read or write the
        # runner's memory or descriptors through /proc: non-dumpable.
        self.libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        self.baseline = {p: _listing(p) for p in WRITABLE}
        self.runner_module = None
        if not self.exec_mode:
            self._preload()

    @staticmethod
    def _split(argv):
        # Interpreter flags the kernel's plan may carry before the script (-B, -u, ...).
        i = 0
        while i < len(argv) and argv[i].startswith("-") and len(argv[i]) == 2:
            i += 1
        if i >= len(argv):
            raise SystemExit("mcpk_warm: no script to run")
        return argv[i], argv[i + 1:]

    def _preload(self):
        here = os.path.dirname(os.path.abspath(__file__))
        if os.path.abspath(self.script) == os.path.join(here, "mcpk_runner.py"):
            sys.path.insert(0, here)
            import mcpk_runner

            mcpk_runner.preload(self.args)
            self.runner_module = mcpk_runner

    # -- control channel

    def send(self, message):
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        self.ctl.sendall(data)

    def receive(self):
        """One request line and the descriptors that came with it; (None, []) at EOF."""
        fds = []
        while b"\n" not in self.pending:
            data, got, _flags, _addr = socket.recv_fds(self.ctl, 65536, 8)
            fds += got
            if not data:
                for fd in fds:
                    os.close(fd)
                return None, []
            self.pending += data
            if len(self.pending) > MAX_REQUEST:
                raise SystemExit("mcpk_warm: request too large")
        line, _, self.pending = self.pending.partition(b"\n")
        return json.loads(line), fds

    # -- one attempt

    def run(self, request, fds):
        if len(fds) != STEP_FDS:
            for fd in fds:
                os.close(fd)
            self.send({"exited": 127, "signal": 0, "stragglers": 0, "error": "expected 4 descriptors"})
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._child(request, fds)  # never returns
        for fd in fds:
            os.close(fd)
        self.send({"started": pid})
        pidfd = os.pidfd_open(pid)
        try:
            while True:
                ready, _, _ = select.select([self.ctl, pidfd], [], [])
                if pidfd in ready:
                    break
                if self.ctl in ready:
                    message, extra = self.receive()
                    for fd in extra:
                        os.close(fd)
                    if message is None:  # the kernel went away: stop everything
                        self._kill_group(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                        self._clean()
                        raise SystemExit(0)
                    if message.get("op") == "kill":
                        self._kill_group(pid, int(message.get("signal", signal.SIGKILL)))
        finally:
            os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        stragglers = self._clean()
        code = os.waitstatus_to_exitcode(status)
        self.send({"exited": code if code >= 0 else -1, "signal": -code if code < 0 else 0,
                   "stragglers": stragglers})

    @staticmethod
    def _kill_group(pid, sig):
        for target in (-pid, pid):
            try:
                os.kill(target, sig)
            except OSError:
                pass

    def _clean(self):
        """Everything a step may have left behind in this sandbox; returns the processes killed."""
        stragglers = 0
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in (1, os.getpid()):
                stragglers += 1
        if stragglers:
            try:
                os.kill(-1, signal.SIGKILL)  # every process of this pid namespace but init and the runner
            except OSError:
                pass
            while True:
                try:
                    pid, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
        self._remove_ipc()
        for place in WRITABLE:
            for name in _listing(place) - self.baseline[place]:
                _remove(os.path.join(place, name))
        return stragglers

    def _remove_ipc(self):
        for kind, call in (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl")):
            try:
                with open("/proc/sysvipc/" + kind) as f:
                    rows = f.read().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                cols = row.split()
                if len(cols) < 2:
                    continue
                ident = int(cols[1])
                if kind == "sem":
                    self.libc.semctl(ident, 0, IPC_RMID)
                else:
                    getattr(self.libc, call)(ident, IPC_RMID, None)

    def _child(self, request, fds):
        code = 70
        try:
            os.setpgid(0, 0)
            self.libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGPIPE, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            self.ctl.close()
            for target, fd in zip((1, 2, 3, 4), fds):
                os.dup2(fd, target)
            for fd in fds:
                if fd > 4:
                    os.close(fd)
            env = request.get("env") or {}
            os.environ.clear()
            os.environ.update({str(k): str(v) for k, v in env.items()})
            os.chdir(request.get("cwd") or env.get("MCPK_WORK_DIR") or "/")
            sys.argv = [self.script] + self.args
            code = 0
            if self.exec_mode:
                # Node cannot fork: the fork execs a fresh program (the sandbox chain is what is saved).
                os.execv(self.script, [self.script] + self.args)
            if self.runner_module is not None:
                self.runner_module.main()
            else:
                import runpy

                runpy.run_path(self.script, run_name="__main__")
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)

    def serve(self):
        self.send({"ready": True})
        while True:
            request, fds = self.receive()
            if request is None:
                return
            if request.get("op") == "run":
                self.run(request, fds)
            else:
                for fd in fds:
                    os.close(fd)


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        Runner(sys.argv[1:]).serve()
    except (BrokenPipeError, ConnectionResetError):
        pass


if __name__ == "__main__":
    main()
