// The tests start real hosts and peer processes on a 2-core machine, and the backend tests time
// health transitions: one test at a time keeps them from starving each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
