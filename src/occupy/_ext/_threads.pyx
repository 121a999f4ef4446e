# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""OpenMP availability and a trivial kernel that shows the threads really run together."""
from cython.parallel cimport prange

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    static int occupy_has_openmp(void) { return 1; }
    static int occupy_team_size(void) { return omp_get_num_threads(); }
    static int occupy_thread_num(void) { return omp_get_thread_num(); }
    #else
    static int occupy_has_openmp(void) { return 0; }
    static int occupy_team_size(void) { return 1; }
    static int occupy_thread_num(void) { return 0; }
    #endif
    /* Portable atomics: C11 <stdatomic.h> is missing from MSVC, so use the compilers' own. */
    #if defined(_MSC_VER)
    #include <intrin.h>
    typedef volatile long occupy_counter;
    static void occupy_counter_add(occupy_counter *c) { _InterlockedIncrement(c); }
    static long occupy_counter_get(occupy_counter *c) { return _InterlockedCompareExchange(c, 0, 0); }
    #else
    typedef long occupy_counter;
    static void occupy_counter_add(occupy_counter *c) { __atomic_add_fetch(c, 1, __ATOMIC_SEQ_CST); }
    static long occupy_counter_get(occupy_counter *c) { return __atomic_load_n(c, __ATOMIC_SEQ_CST); }
    #endif
    /* Each thread arrives, then waits (bounded) until every thread has arrived:
       only threads that run at the same time can all see the full count. */
    static int occupy_rendezvous(occupy_counter *count, int n, long spin_limit) {
        occupy_counter_add(count);
        long i;
        for (i = 0; i < spin_limit; i++) {
            if (occupy_counter_get(count) >= n) return 1;
        }
        return 0;
    }
    """
    int occupy_has_openmp() nogil
    int occupy_team_size() nogil
    int occupy_thread_num() nogil
    ctypedef long occupy_counter
    int occupy_rendezvous(occupy_counter *count, int n, long spin_limit) nogil


def has_openmp() -> bool:
    """True if the extension was compiled with OpenMP."""
    return bool(occupy_has_openmp())


def parallel_probe(int n_threads, long spin_limit=2000000000):
    """Run ``n_threads`` iterations with ``n_threads`` threads.

    Returns a list of (thread id, team size, met) per iteration, where ``met`` says the
    iteration saw every thread arrive at a rendezvous, i.e. they ran concurrently.
    """
    cdef int i
    cdef occupy_counter count = 0
    cdef int[64] tid
    cdef int[64] team
    cdef int[64] met
    if n_threads < 1 or n_threads > 64:
        raise ValueError("n_threads must be in 1..64")
    for i in prange(n_threads, num_threads=n_threads, schedule="static", chunksize=1, nogil=True):
        tid[i] = occupy_thread_num()
        team[i] = occupy_team_size()
        met[i] = occupy_rendezvous(&count, n_threads, spin_limit)
    return [(tid[i], team[i], bool(met[i])) for i in range(n_threads)]
