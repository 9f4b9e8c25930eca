import Logging
import TesseraCluster
import TesseraCore
import TesseraStorage

/// What every route needs: the storage engine, the node's settings, metrics and a logger.
struct NodeServices: Sendable {
    let engine: StorageEngine
    let config: NodeConfig
    let metrics: NodeMetrics
    let logger: Logger
    let indexes: IndexManager
    let cluster: ClusterNode
}
