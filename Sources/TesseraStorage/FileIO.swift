import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A storage I/O failure: the node stops rather than serve from state it no longer trusts.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    /// What failed.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { "storage error: \(message)" }

    static func errno(_ what: String, path: String) -> StorageError {
        StorageError("\(what) \(path): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// Thin, throwing wrappers over POSIX file calls.
enum FileIO {
    static func openAppend(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.errno("open", path: path) }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw StorageError.errno("write", path: path)
            }
            offset += n
        }
    }

    static func sync(_ fd: Int32, path: String) throws {
        guard fdatasync(fd) == 0 else { throw StorageError.errno("fdatasync", path: path) }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.errno("open directory", path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StorageError.errno("fsync directory", path: path) }
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw StorageError("cannot read \(path)") }
        return [UInt8](data)
    }

    static func truncate(_ path: String, to length: Int) throws {
        guard Glibc.truncate(path, off_t(length)) == 0 else { throw StorageError.errno("truncate", path: path) }
    }

    /// Writes a whole file durably: temporary file, fsync, rename, fsync of the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.errno("open", path: temporary) }
        do {
            try bytes.withUnsafeBytes { try writeAll(fd, $0, path: temporary) }
            guard fsync(fd) == 0 else { throw StorageError.errno("fsync", path: temporary) }
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw StorageError.errno("rename", path: temporary) }
        try syncDirectory(directory)
    }

    static func list(_ directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    static func remove(_ path: String) {
        unlink(path)
    }
}
