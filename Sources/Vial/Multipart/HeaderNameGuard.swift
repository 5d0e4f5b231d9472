#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// MultipartKit 4.7.1's parser looks each byte of a part's header name up in a 128-entry table:
/// a byte of 0x80 or more there is read past the table's end, and the process traps (the
/// multipart fuzz target found it with a 9-byte body). This follows the parser's states over the
/// same bytes, just ahead of it, and refuses such a name before the parser sees it. It mirrors
/// `MultipartParser`'s transitions exactly (including how it matches the boundary), so both agree
/// on where header names are; where the parser would throw, it stops following (the parser's
/// error answers).
struct HeaderNameGuard {
    private enum State {
        case preamble(Int)
        case preHeaders(sawCR: Bool)
        case headerName(empty: Bool)
        case headerValue
        case postHeaderValue
        case postHeaders
        case body
        case boundary(Int)
        case done  // the epilogue, or a syntax error the parser reports itself
    }

    private let delimiter: [UInt8]
    private var state = State.preamble(0)

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// Follows `slice`; false when it holds a header-name byte the parser cannot take.
    mutating func accepts(_ slice: ByteBuffer) -> Bool {
        slice.withUnsafeReadableBytes { bytes in
            var index = 0
            while index < bytes.count {
                if case .body = state {
                    // Body bytes matter only at a CR (where a delimiter may start): skip to the next.
                    guard let found = memchr(bytes.baseAddress! + index, Int32(delimiter[0]), bytes.count - index) else { return true }
                    index = bytes.baseAddress!.distance(to: UnsafeRawPointer(found))
                }
                if !step(bytes[index]) { return false }
                index += 1
            }
            return true
        }
    }

    private mutating func step(_ byte: UInt8) -> Bool {
        let cr: UInt8 = 13, lf: UInt8 = 10
        switch state {
        case .preamble(var matched):
            if matched == 0, byte == delimiter[2] {
                matched = 3  // the first delimiter may come without its leading CRLF
            } else if byte == delimiter[matched] {
                matched += 1
            } else if matched > 0, byte == delimiter[0] {
                matched = 1
            } else {
                matched = 0
            }
            state = matched >= delimiter.count ? .preHeaders(sawCR: false) : .preamble(matched)
        case .preHeaders(let sawCR):
            if !sawCR, byte == cr { state = .preHeaders(sawCR: true) } else if sawCR, byte == lf { state = .headerName(empty: true) } else { state = .done }
        case .headerName(let empty):
            if byte == UInt8(ascii: ":"), !empty {
                state = .headerValue
            } else if byte == cr, empty {
                state = .postHeaders
            } else if byte >= 0x80 {
                return false
            } else {
                state = .headerName(empty: false)  // the parser itself throws for other disallowed bytes
            }
        case .headerValue:
            if byte == cr { state = .postHeaderValue }
        case .postHeaderValue:
            state = byte == lf ? .headerName(empty: true) : .done
        case .postHeaders:
            state = byte == lf ? .body : .done
        case .body:
            if byte == delimiter[0] { state = .boundary(1) }
        case .boundary(let matched):
            if matched >= delimiter.count {
                state = byte == cr ? .preHeaders(sawCR: true) : .done  // "--" starts the epilogue
            } else if byte == delimiter[matched] {
                state = .boundary(matched + 1)
            } else {
                state = byte == delimiter[0] ? .boundary(1) : .body
            }
        case .done:
            break
        }
        return true
    }
}
