import FuzzHarness
import Foundation

// The fuzz binary. Built with libFuzzer (`Fuzz/run.sh`: `-sanitize=fuzzer,address -DMERKISTO_LIBFUZZER`),
// it fuzzes the target named by MERKISTO_FUZZ_TARGET; built plainly (as `swift build` does), it replays
// files through a target: `merkisto-fuzz TARGET FILE...`, to reproduce a finding without the fuzzer.

/// The target named in the environment; the process ends when there is none.
func namedTarget() -> FuzzTarget {
    let name = ProcessInfo.processInfo.environment["MERKISTO_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("MERKISTO_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return target
}

#if MERKISTO_LIBFUZZER
nonisolated(unsafe) var fuzzTarget: FuzzTarget = .definitions

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The entry point SwiftPM links as `main` for this executable: libFuzzer's driver, with its arguments.
@_cdecl("merkisto_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, testOneInput)
}

/// Before the corpus is read: prepares the target and, with MERKISTO_FUZZ_SEEDS set to a folder, writes
/// the target's seeds there.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    fuzzTarget = namedTarget()
    do {
        try fuzzTarget.runBlockingPrepare()
        if let folder = ProcessInfo.processInfo.environment["MERKISTO_FUZZ_SEEDS"], !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (index, seed) in try fuzzTarget.seedsBlocking().enumerated() {
                let name = seed.name.replacingOccurrences(of: "/", with: "_")
                _ = FileManager.default.createFile(atPath: "\(folder)/seed-\(index)-\(name)", contents: Data(seed.bytes))
            }
        }
    } catch {
        FileHandle.standardError.write(Data("merkisto-fuzz: cannot prepare \(fuzzTarget.rawValue): \(error)\n".utf8))
        exit(2)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try fuzzTarget.runBlocking(bytes)
    } catch {
        // A finding is a crash to libFuzzer: it saves the input and stops.
        fatalError("finding: \(error)")
    }
    return 0
}
#else
@main
enum Replay {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: merkisto-fuzz TARGET FILE...   (TARGET: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            exit(2)
        }
        var failed = false
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot be read")
                failed = true
                continue
            }
            do {
                try await target.run([UInt8](data))
                print("\(path): ok")
            } catch {
                print("\(path): \(error)")
                failed = true
            }
        }
        exit(failed ? 1 : 0)
    }
}
#endif
