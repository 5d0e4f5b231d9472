// What a plugin or an app's main.swift needs, in one import: the framework, the middleware
// (jwtRequired, limit, cached), and ArgumentParser, whose types `Plugin.commands` and
// `EnvironmentOptions` speak. GRDB stays an explicit import: only revisions written as closures
// and your own stores need it.
@_exported import ArgumentParser
@_exported import Vial
@_exported import VialMiddleware
