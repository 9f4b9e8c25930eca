import ArgumentParser
import Foundation

/// The `tessera` command line: a server, a local cluster launcher, client commands and a benchmark.
@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Tessera: a distributed multi-model data store.",
        subcommands: [
            Serve.self, Dev.self, KV.self, KeyspaceCommand.self, Txn.self, LockCommand.self, Watch.self,
            ClusterCommand.self, Query.self, Bench.self,
        ])

    /// Runs the command, mapping outcomes to the documented exit codes: 0 success, 1 a server-side
    /// refusal, 2 bad usage.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let refusal as Refusal {
            FileHandle.standardError.write(Data((refusal.message + "\n").utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            if code == .validationFailure || error is ValidationError || error is UsageError {
                Foundation.exit(2)
            }
            Foundation.exit(1)
        }
    }
}

/// A refusal by the server (or an unreachable server): exit status 1.
struct Refusal: Error {
    let message: String
}

/// Bad usage detected after parsing: exit status 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
}
