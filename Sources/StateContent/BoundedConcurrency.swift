/// Runs `operation` for every index in `0..<count`, at most `limit` at a time, and hands each
/// result to `completed` on the calling task as it finishes.
package func forEachConcurrently<T: Sendable>(
    count: Int, limit: Int, _ operation: @escaping @Sendable (Int) async -> T, completed: (Int, T) -> Void
) async {
    await withTaskGroup(of: (Int, T).self) { group in
        var pending = (0..<count).makeIterator()
        for _ in 0..<max(limit, 1) {
            guard let index = pending.next() else { break }
            group.addTask { (index, await operation(index)) }
        }
        while let (index, result) = await group.next() {
            completed(index, result)
            if let next = pending.next() {
                group.addTask { (next, await operation(next)) }
            }
        }
    }
}
