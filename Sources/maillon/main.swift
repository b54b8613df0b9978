import Logging
import Maillon
import Vapor

var environment = try Environment.detect()
let settings: Settings
do {
    settings = try Settings.fromEnvironment(arguments: Array(CommandLine.arguments.dropFirst()))
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

let app = try await Application.make(environment)
do {
    try await configure(app, settings: settings)
    MaillonEntry.prepareCommands(app)
    // Migrations run before serving, so a first start needs nothing else.
    let arguments = CommandLine.arguments.dropFirst()
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
