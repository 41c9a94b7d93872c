// The tests share one PostgreSQL cluster and start CPU-heavy worker processes: one at a time keeps them within the 2-core budget.
[assembly: DoNotParallelize]
