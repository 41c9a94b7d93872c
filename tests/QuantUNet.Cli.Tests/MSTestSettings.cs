// Each test starts a CPU-heavy child process: one at a time keeps them within the 2-core budget.
[assembly: DoNotParallelize]
