import Hummingbird
import HummingbirdAuth

/// `GET /api/tasks/?status=&page=&per_page=`: the caller's tasks (everyone's for an admin),
/// newest first, in the bundled API's list envelope.
struct TaskController {
    let repository: TaskRepository

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: self.list)
    }

    struct ListQuery: Decodable {
        var status: String?
        var page: Int?
        var perPage: Int?

        enum CodingKeys: String, CodingKey {
            case status, page
            case perPage = "per_page"
        }
    }

    struct PageMeta: Codable {
        var page: Int
        var perPage: Int
        var total: Int
        var pages: Int

        enum CodingKeys: String, CodingKey {
            case page, total, pages
            case perPage = "per_page"
        }
    }

    struct TaskList: ResponseEncodable {
        var status = "success"
        var data: [TaskRecord]
        var count: Int
        var meta: PageMeta
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> TaskList {
        let user = try context.requireIdentity()
        let query = try request.uri.decodeQuery(as: ListQuery.self, context: context)
        let page = query.page ?? 1
        let perPage = query.perPage ?? 20
        guard page >= 1, (1...100).contains(perPage) else {
            throw HTTPError(.badRequest, message: "Invalid pagination parameters.")
        }
        if let status = query.status, status != "pending", status != "completed" {
            throw HTTPError(.badRequest, message: "Invalid status filter. Use 'pending' or 'completed'.")
        }
        let (tasks, total) = try await repository.page(
            owner: user.isAdmin ? nil : user.id, status: query.status, limit: perPage, offset: (page - 1) * perPage)
        return TaskList(
            data: tasks, count: tasks.count,
            meta: PageMeta(page: page, perPage: perPage, total: total, pages: (total + perPage - 1) / perPage))
    }
}
