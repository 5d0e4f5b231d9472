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
}
