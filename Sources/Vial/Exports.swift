// The HTTP vocabulary types Vial's public API speaks in. Re-exported so that
// `import Vial` is enough to write `.POST`, `.notFound` or `HTTPHeaders`.
@_exported import enum NIOHTTP1.HTTPMethod
@_exported import enum NIOHTTP1.HTTPResponseStatus
@_exported import struct NIOHTTP1.HTTPHeaders
@_exported import struct NIOCore.ByteBuffer
@_exported import struct Logging.Logger
