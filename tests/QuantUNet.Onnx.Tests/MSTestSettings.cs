// TorchSharp tests share one native thread pool and a global seed: run them one at a time.
[assembly: DoNotParallelize]
