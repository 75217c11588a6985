"""Running many fits at once: thread limits for worker processes.

A hyperparameter search with ``n_jobs`` runs several fits at once, in worker
processes (joblib's loky, a Dask cluster) that each start TensorFlow (or
JAX, or PyTorch) with as many threads as the machine has cores. Four workers
on four cores then run sixteen busy threads that slow each other down. The
thread pools are sized when the framework starts, from environment
variables, so the limit must be in a worker's environment before it imports
anything: :func:`worker_environment` gives those variables.
"""

import os

__all__ = ["worker_environment"]


def worker_environment(threads_per_worker=1):
    """Environment variables that cap the threads of one worker process.

    Pass them to the processes that run the fits, so that workers x threads
    does not exceed the cores: ``LocalCluster(n_workers=w,
    threads_per_worker=1, env=worker_environment(cores // w))`` for Dask,
    the ``env`` of a Kubernetes or batch-job worker spec on a real cluster.
    TensorFlow reads ``TF_NUM_INTRAOP_THREADS`` and
    ``TF_NUM_INTEROP_THREADS`` when it starts, PyTorch ``OMP_NUM_THREADS``;
    the BLAS variables count only if set before NumPy loads (Dask's nanny
    sets them to 1 by default, ``distributed.nanny.pre-spawn-environ``); with
    ``threads_per_worker=1`` JAX's CPU backend runs its Eigen kernels on one
    thread.

    Parameters
    ----------
    threads_per_worker : int, default=1
        Threads each worker process may keep busy.

    Returns
    -------
    env : dict of str to str
        Variable names and values; ``XLA_FLAGS`` keeps the flags already set
        in this process.

    Examples
    --------
    >>> from sktsmixer.parallel import worker_environment
    >>> worker_environment(2)["TF_NUM_INTRAOP_THREADS"]
    '2'
    """
    if isinstance(threads_per_worker, bool) or not isinstance(threads_per_worker, int):
        raise ValueError(f"threads_per_worker must be an int, got {threads_per_worker!r}.")
    if threads_per_worker < 1:
        raise ValueError(f"threads_per_worker must be at least 1, got {threads_per_worker}.")
    threads = str(threads_per_worker)
    env = {
        "TF_NUM_INTRAOP_THREADS": threads,
        # Independent ops of a step run side by side: one such pool thread
        # per worker keeps the total at the cap.
        "TF_NUM_INTEROP_THREADS": "1",
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
    }
    if threads_per_worker == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_cpu_multi_thread_eigen" not in flags:
            flags = f"{flags} --xla_cpu_multi_thread_eigen=false".strip()
        env["XLA_FLAGS"] = flags
    return env
