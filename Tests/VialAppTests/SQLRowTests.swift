import Testing
@testable import VialApp

/// Reading a row by column name: narrow results by a scan, wide ones through a hash table; the
/// first of two columns with one name either way.
@Suite struct SQLRowTests {
    @Test(arguments: [3, 16, 17, 40])
    func aColumnIsFoundByNameWhateverTheWidth(_ width: Int) {
        var names = (0..<width).map { "c\($0)" }
        names.append("c0")  // a second column with the first one's name
        let row = SQLRow(columns: names, values: (0...width).map { .integer(Int64($0)) })
        #expect(row.int("c\(width - 1)") == width - 1)
        #expect(row.int("c0") == 0)
        #expect(row["missing"] == .null)
        #expect(SQLColumns(names).positions.isEmpty == (names.count <= SQLColumns.scanned))
    }

    /// The scan compares only names of the same UTF-8 length: equal lengths, non-ASCII names
    /// (a character count would differ from the byte count) and long names are still found.
    @Test func namesOfOneLengthNonASCIIAndLongOnesAreTold() {
        let names = ["created_at", "updated_at", "ab", "é", "a_column_name_longer_than_fifteen_bytes", "naïve"]
        let row = SQLRow(columns: names, values: names.indices.map { .integer(Int64($0)) })
        for (index, name) in names.enumerated() { #expect(row.int(name) == index) }
        #expect(row["a_column_name_longer_than_fifteen_bytez"] == .null)
        #expect(row["naive"] == .null)
    }
}
