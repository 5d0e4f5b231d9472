import Foundation
import NIOCore
import Testing
import Vial
import VialApp
import VialBlueprints
import VialMiddleware
import VialTesting

/// `GET /api/jobs/<job_id>/events` on a live server.
@Suite struct JobEventsTests {
    @Test func aJobsOwnerFollowsItUntilItEnds() async throws {
        let bundled = try await BundledApp()
        let auth: HTTPHeaders = ["Authorization": "Bearer \(bundled.token(1))"]
        try await bundled.app.withLiveServer { client in
            let task = try await client.post("/api/tasks/", json: ["title": "to process"], headers: auth)
            let taskID = try #require(task.json()["data"]?["id"]?.intValue)
            let accepted = try await client.send(.POST, "/api/tasks/\(taskID)/process", body: "", headers: auth)
            #expect(accepted.status == .accepted)
            let jobID = try #require(accepted.json()["data"]?["id"]?.stringValue)
            let anonymous = try await client.get("/api/jobs/\(jobID)/events")
            #expect(anonymous.status == .unauthorized)

            let stream = try await client.openRaw()
            try await stream.send("GET /api/jobs/\(jobID)/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(bundled.token(1))\r\n\r\n")
            #expect(try await stream.waitFor("event: job.state\n"))
            #expect(stream.text.contains("\"state\":\"queued\""))
            // A worker runs it (and the task's confirmation email): the change is announced and
            // the stream ends after the outcome.
            while try await bundled.services.jobs.runNext() {}
            #expect(try await stream.waitFor("\"state\":\"succeeded\"", timeout: .seconds(10)))
            #expect(try await stream.waitFor("\r\n0\r\n\r\n"))
            await stream.close()
        }
    }

    @Test func someoneElsesJobIs404() async throws {
        let bundled = try await BundledApp()
        let carol = try await bundled.services.users.create(
            User(username: "carol", email: "carol@example.com", passwordHash: "x", role: .user, createdAt: "2026-01-01T00:00:00Z"))
        let carolToken = bundled.services.jwt.issuer.accessToken(subject: String(carol.id!), role: "user", fresh: true)
        let job = try await bundled.services.jobs.enqueue(TaskJobs.process, payload: ["task_id": 1], owner: String(bundled.users[1].id!))
        let client = try bundled.app.testClient()
        let response = try await client.get("/api/jobs/\(job.id)/events", headers: ["Authorization": "Bearer \(carolToken)"])
        #expect(response.status == .notFound)
    }
}
