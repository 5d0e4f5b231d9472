import Foundation

// libFuzzer's driver, called with this process's arguments (SwiftPM gives an executable its own
// `main`, so libFuzzer's is not used). Build with `-sanitize=fuzzer`: see Reliability/fuzz.sh.

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
_ = FuzzTarget.current  // fails at once when VIAL_FUZZ_TARGET is not set
let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    FuzzTarget.current.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
exit(status)
