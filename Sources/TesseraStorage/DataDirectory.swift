import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on a data directory, so two processes never share one.
enum DataDirectoryLock {
    static func acquire(_ directory: String) throws -> Int32 {
        let path = directory + "/LOCK"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.errno("open", path: path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw StorageError("data directory \(directory) is in use by another process")
        }
        return fd
    }

    static func release(_ fd: Int32) {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// Facts fixed when a data directory is created (`META`: `partitions=N`).
enum DataDirectoryMeta {
    static func loadOrCreate(_ directory: String, partitionCount: Int) throws -> Int {
        let path = directory + "/META"
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("partitions=") {
                if let count = Int(line.dropFirst("partitions=".count)), count >= 1 { return count }
            }
            throw StorageError("\(path) is unreadable")
        }
        try FileIO.writeAtomically(Array("partitions=\(partitionCount)\n".utf8), to: path, directory: directory)
        return partitionCount
    }
}
