import Foundation
import VialApp
import VialBlueprints

// `App` from a synchronous main, for Benchmarks/instructions.py: valgrind 3.19 (Debian 12's)
// dies inside libdispatch's `dispatch_main`, which an async main ends in on Linux. Here the main
// thread runs Foundation's run loop instead, which drains the main queue (the command line runs
// on the main actor) and which valgrind runs. The same command line, plugins and server.
Task { @MainActor in await Bundled.application.main() }  // exits the process when the command ends
RunLoop.main.run()
