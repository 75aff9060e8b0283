//! Whether the kernel offers what the fast path's light fence needs.

/// Whether the kernel offers private expedited membarriers (`MEMBARRIER_CMD_QUERY`);
/// `None` where this test does not know the syscall's number.
pub fn membarrier_available() -> Option<bool> {
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    {
        const MEMBARRIER_CMD_QUERY: i64 = 0;
        const MEMBARRIER_CMD_PRIVATE_EXPEDITED: i64 = 1 << 3;
        #[cfg(target_arch = "x86_64")]
        const SYS_MEMBARRIER: i64 = 324;
        #[cfg(target_arch = "aarch64")]
        const SYS_MEMBARRIER: i64 = 283;
        extern "C" {
            fn syscall(n: i64, ...) -> i64;
        }
        // SAFETY: membarrier's query command takes two integers and touches no memory.
        let mask = unsafe { syscall(SYS_MEMBARRIER, MEMBARRIER_CMD_QUERY, 0i64) };
        Some(mask > 0 && mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED != 0)
    }
    #[cfg(not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    None
}
