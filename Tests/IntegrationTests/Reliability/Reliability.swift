import Testing

/// The reliability suites run one test at a time: each loads the machine on purpose (fuzzers,
/// crash loops, full disks, slow links), and together they would starve the timing checks of
/// the suites running beside them.
@Suite("Reliability", .serialized)
enum Reliability {}
