// What a plugin or an app's main.swift needs, in one import: the framework, the middleware
// (jwtRequired, limit, cached), and ArgumentParser, whose types `Plugin.commands` and
// `EnvironmentOptions` speak. Stores use `AppDatabase`'s SQL API (SQLite and PostgreSQL);
// GRDB stays an explicit import for code that uses its records on SQLite (`sqliteWriter`).
@_exported import ArgumentParser
@_exported import Vial
@_exported import VialMiddleware
