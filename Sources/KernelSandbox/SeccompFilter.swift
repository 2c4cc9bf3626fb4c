import CSeccomp
import Glibc
import KernelCore

/// The seccomp program every sandboxed step runs under, built with
/// libseccomp and exported as classic BPF for `bwrap --seccomp FD`.
///
/// Default action: allow. Denied with EPERM: process inspection and kernel
/// attack surface a script never needs. Non-native architectures (i386/x32
/// syscall entry) are killed by libseccomp's bad-arch action.
public enum SeccompFilter {
    /// Syscalls denied outright.
    public static let deniedSyscalls = [
        "ptrace", "process_vm_readv", "process_vm_writev",
        "mount", "umount", "umount2", "pivot_root", "chroot",
        "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
        "unshare", "setns",
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "bpf", "keyctl", "add_key", "request_key", "perf_event_open",
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        "userfaultfd", "reboot", "swapon", "swapoff", "acct", "quotactl",
    ]
    /// Also denied in warm runners: POSIX message queues live in the IPC namespace
    /// a runner's attempts share and cannot be listed without an mqueue mount, so
    /// one attempt could leave a queue for the next (SysV objects are removed by the runner).
    public static let deniedInRunners = ["mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr"]
    /// clone(2) flags that would create namespaces.
    static let namespaceCloneFlags: [UInt64] = [
        0x10000000, // CLONE_NEWUSER
        0x00020000, // CLONE_NEWNS
        0x20000000, // CLONE_NEWPID
        0x40000000, // CLONE_NEWNET
        0x08000000, // CLONE_NEWIPC
        0x04000000, // CLONE_NEWUTS
        0x02000000, // CLONE_NEWCGROUP
    ]
    static let afPacket: UInt64 = 17
    static let afInet: UInt64 = 2
    static let afInet6: UInt64 = 10
    static let sockRaw: UInt64 = 3
    static let sockTypeMask: UInt64 = 0xf
    static let actAllow: UInt32 = 0x7fff_0000
    static func actErrno(_ e: Int32) -> UInt32 { 0x0005_0000 | (UInt32(e) & 0xffff) }

    /// The compiled programs (cold steps, runners), built once: libseccomp's compile is
    /// the costly part, a pipe per spawn is not. Loop thread only.
    nonisolated(unsafe) private static var compiled: [Bool: [UInt8]] = [:]

    /// A pipe whose read end holds the filter's BPF (for `bwrap --seccomp FD`);
    /// close-on-exec off is done by uv_spawn's inherit. Caller closes it.
    public static func exportToPipe(runner: Bool = false) throws -> Int32 {
        let program: [UInt8]
        if let p = compiled[runner] { program = p } else {
            let fd = try compile(runner: runner)
            defer { close(fd) }
            var bytes: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw KernelError.internal("seccomp program read: \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                bytes += buf[0..<n]
            }
            guard !bytes.isEmpty, bytes.count < pipeCapacity else { throw KernelError.internal("seccomp program of \(bytes.count) bytes") }
            compiled[runner] = bytes
            program = bytes
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw KernelError.internal("pipe: \(String(cString: strerror(errno)))") }
        let written = program.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        guard written == program.count else {
            close(fds[0])
            throw KernelError.internal("seccomp program write: \(String(cString: strerror(errno)))")
        }
        return fds[0]
    }

    /// A pipe's default capacity on Linux: a program must fit to be written without a reader.
    static let pipeCapacity = 65536

    /// Builds the filter with libseccomp and writes its BPF into a pipe; returns the read end.
    static func compile(runner: Bool) throws -> Int32 {
        guard let ctx = seccomp_init(actAllow) else { throw KernelError.internal("seccomp_init failed") }
        defer { seccomp_release(ctx) }
        func add(_ name: String, _ cmps: [scmp_arg_cmp], action: UInt32 = actErrno(EPERM)) throws {
            let nr = seccomp_syscall_resolve_name(name)
            if nr < 0 { return } // not a syscall of this arch: nothing to deny
            var c = cmps
            let rc = c.withUnsafeMutableBufferPointer { buf in
                seccomp_rule_add_array(ctx, action, nr, UInt32(buf.count), buf.baseAddress)
            }
            if rc != 0 { throw KernelError.internal("seccomp rule \(name): \(String(cString: strerror(-rc)))") }
        }
        for name in deniedSyscalls + (runner ? deniedInRunners : []) { try add(name, []) }
        for flag in namespaceCloneFlags {
            try add("clone", [scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: flag, datum_b: flag)])
        }
        // clone3 passes flags in memory (not inspectable): ENOSYS makes libc fall back to clone.
        try add("clone3", [], action: actErrno(ENOSYS))
        try add("socket", [scmp_arg_cmp(arg: 0, op: SCMP_CMP_EQ, datum_a: afPacket, datum_b: 0)])
        // Raw IP sockets (AF_INET/AF_INET6 + SOCK_RAW); netlink's SOCK_RAW (getifaddrs) stays allowed.
        for family in [afInet, afInet6] {
            try add("socket", [scmp_arg_cmp(arg: 0, op: SCMP_CMP_EQ, datum_a: family, datum_b: 0),
                               scmp_arg_cmp(arg: 1, op: SCMP_CMP_MASKED_EQ, datum_a: sockTypeMask, datum_b: sockRaw)])
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw KernelError.internal("pipe: \(String(cString: strerror(errno)))") }
        let rc = seccomp_export_bpf(ctx, fds[1])
        close(fds[1])
        if rc != 0 {
            close(fds[0])
            throw KernelError.internal("seccomp_export_bpf: \(String(cString: strerror(-rc)))")
        }
        return fds[0]
    }
}
