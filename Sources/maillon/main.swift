import Logging
import Maillon
import Vapor

// `--working-directory DIR` (or WORKING_DIRECTORY): where Resources/ and Public/ are, so the binary runs from anywhere.
var commandLine = CommandLine.arguments
if let index = commandLine.firstIndex(of: "--working-directory"), index + 1 < commandLine.count {
    let directory = commandLine[index + 1]
    commandLine.removeSubrange(index...(index + 1))
    guard FileManager.default.changeCurrentDirectoryPath(directory) else {
        FileHandle.standardError.write(Data("maillon: cannot change to the working directory \(directory)\n".utf8))
        exit(1)
    }
} else if let directory = ProcessInfo.processInfo.environment["WORKING_DIRECTORY"], !directory.isEmpty,
          !FileManager.default.changeCurrentDirectoryPath(directory) {
    FileHandle.standardError.write(Data("maillon: cannot change to WORKING_DIRECTORY \(directory)\n".utf8))
    exit(1)
}
var environment = try Environment.detect(arguments: commandLine)
let settings: Settings
do {
    settings = try Settings.fromEnvironment(arguments: Array(commandLine.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("maillon: \(error)\n".utf8))
    exit(1)
}
LoggingSystem.bootstrap { label in
    switch settings.logFormat {
    case .json: JSONLogHandler(label: label, level: settings.logLevel)
    case .text:
        { var handler = StreamLogHandler.standardOutput(label: label); handler.logLevel = settings.logLevel; return handler }()
    }
}

MaillonMetrics.bootstrap()
let app = try await Application.make(environment)
do {
    try await configure(app, settings: settings, time: settings.clockOffsetFile.map { ShiftedTime(path: $0) } ?? SystemTime())
    MaillonEntry.prepareCommands(app)
    // Migrations run before serving, so a first start needs nothing else.
    let arguments = commandLine.dropFirst()
    if arguments.first == "serve" || arguments.isEmpty {
        try await MaillonEntry.migrateBeforeServing(app)
        MaillonEntry.prepareServing(app)
    }
    try await app.execute()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
try await app.asyncShutdown()
LogOutput.flush()
