import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Points runtimes at the satellites, and takes that back, under a root directory (`/` on a
/// node, a temporary directory in tests).
///
/// - Idempotent: a second `configure` with the same plan changes no byte.
/// - Reversible: the first change to a file keeps its bytes (or that it did not exist), once,
///   however many runs follow; `restore` puts every file back exactly and removes what did not
///   exist, with the directories made for it.
/// - All or nothing up front: every file is read and every edit worked out before the first
///   write, so a file that cannot be parsed leaves everything untouched.
public struct RuntimeConfigurator: Sendable {
    /// What a run did, for the operator.
    public struct Outcome: Sendable, Equatable {
        /// Files written, as paths on the node.
        public var changed: [String] = []
        /// Files put back to their earlier bytes or removed.
        public var restored: [String] = []
        /// Files already as they should be.
        public var unchanged: [String] = []
        /// What the operator must do or know.
        public var notes: [String] = []
    }

    public let root: String

    public init(root: String = "/") {
        self.root = root
    }

    private var files: RootFileSystem { RootFileSystem(root: root) }
    private var manifestPath: String { BackupManifest.directory + "/manifest.json" }

    /// Makes `runtime` pull the plan's registries through its satellites.
    public func configure(_ runtime: Runtime, plan: MirrorPlan) throws(RuntimeConfigError) -> Outcome {
        try locked { () throws(RuntimeConfigError) in
            var manifest = try loadManifest()
            var saved = manifest
            var outcome = Outcome(notes: runtime.notes(plan))
            // Work everything out before writing anything.
            var planned: [(path: String, current: Data?, next: Data)] = []
            for edit in runtime.edits(plan, root: root) {
                let current = try files.read(edit.path)
                // Nothing to write where nothing is: the file is not the runtime's concern.
                guard let next = try edit.edit(current) else { continue }
                planned.append((edit.path, current, next))
            }
            let wanted = Set(planned.map(\.path))
            for (path, current, next) in planned {
                if manifest.files[path] == nil {
                    try keepOriginal(path, current: current, for: runtime, in: &manifest)
                } else if manifest.files[path]?.runtimes.contains(runtime.rawValue) == false {
                    manifest.files[path]?.runtimes.append(runtime.rawValue)
                }
                if manifest != saved {
                    try saveManifest(manifest)
                    saved = manifest
                }
                if next == current {
                    outcome.unchanged.append(files.absolutePath(path))
                } else {
                    try files.write(path, next, mode: manifest.files[path]?.mode ?? 0o644)
                    outcome.changed.append(files.absolutePath(path))
                }
            }
            // Files an earlier plan needed and this one does not (an upstream left the state).
            for (path, entry) in manifest.files.sorted(by: { $0.key < $1.key })
            where entry.runtimes.contains(runtime.rawValue) && !wanted.contains(path) {
                try release(path, from: runtime, in: &manifest, outcome: &outcome)
            }
            if manifest != saved { try saveManifest(manifest) }
            return outcome
        }
    }

    /// Puts back every file `runtime` changed, unless another runtime still manages it.
    public func restore(_ runtime: Runtime) throws(RuntimeConfigError) -> Outcome {
        try locked { () throws(RuntimeConfigError) in
            var manifest = try loadManifest()
            var outcome = Outcome()
            for (path, entry) in manifest.files.sorted(by: { $0.key < $1.key })
            where entry.runtimes.contains(runtime.rawValue) {
                try release(path, from: runtime, in: &manifest, outcome: &outcome)
            }
            if outcome.restored.isEmpty && outcome.unchanged.isEmpty {
                outcome.notes.append("nothing to restore: \(runtime) was not configured under \(root)")
            } else {
                outcome.notes.append(runtime.restartNote)
            }
            try saveManifest(manifest)
            return outcome
        }
    }

    /// Drops `runtime` from a file's managers; the last one out puts the file back. Directories
    /// made for a removed file join the manifest's, removed whenever they are empty (another
    /// runtime's file may still be in one).
    private func release(
        _ path: String, from runtime: Runtime, in manifest: inout BackupManifest, outcome: inout Outcome
    ) throws(RuntimeConfigError) {
        guard var entry = manifest.files[path] else { return }
        entry.runtimes.removeAll { $0 == runtime.rawValue }
        guard entry.runtimes.isEmpty else {
            manifest.files[path] = entry
            outcome.unchanged.append(files.absolutePath(path))
            return
        }
        let originals = BackupManifest.directory + "/originals/"
        if let target = entry.symlink {
            // The link was replaced, its target never written: the link comes back as it was.
            try files.writeSymlink(path, target: target)
        } else if let name = entry.original {
            guard let bytes = try files.read(originals + name) else {
                throw RuntimeConfigError(
                    .io,
                    """
                    the original of \(files.absolutePath(path)) is missing from \(files.absolutePath(originals)); \
                    nothing more was restored
                    """
                )
            }
            try files.write(path, bytes, mode: entry.mode ?? 0o644)
            try files.remove(originals + name)
        } else {
            try files.remove(path)
            manifest.createdDirectories.append(
                contentsOf: entry.createdDirectories.filter { !manifest.createdDirectories.contains($0) })
        }
        manifest.files[path] = nil
        outcome.restored.append(files.absolutePath(path))
    }

    /// Records a file's bytes before its first change; the manifest is saved before the file is.
    private func keepOriginal(
        _ path: String, current: Data?, for runtime: Runtime, in manifest: inout BackupManifest
    ) throws(RuntimeConfigError) {
        var entry = BackupManifest.Entry(
            original: nil, mode: try files.mode(path), createdDirectories: try files.missingDirectories(for: path),
            runtimes: [runtime.rawValue])
        if let target = try files.symlinkTarget(path) {
            entry.symlink = target
        } else if let current {
            let name = BackupManifest.originalName(for: path)
            try files.write(BackupManifest.directory + "/originals/" + name, current, mode: 0o600)
            entry.original = name
        }
        manifest.files[path] = entry
    }

    /// The manifest, or a new one that knows which directories holding it are made for it.
    private func loadManifest() throws(RuntimeConfigError) -> BackupManifest {
        guard let data = try files.read(manifestPath) else {
            return BackupManifest(createdDirectories: try files.missingDirectories(for: manifestPath))
        }
        return try BackupManifest.decode(data, path: files.absolutePath(manifestPath))
    }

    /// Writes the manifest, or removes it and what was made for it once nothing is managed.
    /// Directories made for files since removed go as soon as they are empty.
    private func saveManifest(_ manifest: BackupManifest) throws(RuntimeConfigError) {
        guard manifest.files.isEmpty else {
            try files.write(manifestPath, try manifest.encoded(), mode: 0o600)
            // The ones holding the manifest are not empty, so only those of files put back go.
            files.removeEmptyDirectories(manifest.createdDirectories)
            return
        }
        guard try files.exists(manifestPath) else { return }
        try files.remove(manifestPath)
        files.removeEmptyDirectories([BackupManifest.directory + "/originals"])
        files.removeEmptyDirectories(manifest.createdDirectories)
    }

    /// Runs `body` holding an exclusive lock on the root directory, so the agent and an
    /// operator's command never interleave; the lock leaves no file behind.
    private func locked<T>(_ body: () throws(RuntimeConfigError) -> T) throws(RuntimeConfigError) -> T {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw RuntimeConfigError(.invalidInput, "--root \(root): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else {
            throw RuntimeConfigError(.io, "cannot lock \(root): \(String(cString: strerror(errno)))")
        }
        return try body()
    }
}
