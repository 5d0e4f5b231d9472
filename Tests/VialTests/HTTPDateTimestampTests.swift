import Foundation
import Testing
@testable import Vial

@Suite struct TimestampTests {
    @Test func formatsISO8601UTCWithSeconds() {
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_800_000_000.9)) == "2027-01-15T08:00:00Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
    }
}
