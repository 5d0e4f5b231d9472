import Fluent
import JWT
import Vapor

/// The claims of the bundled API's access tokens that this server checks.
struct AccessTokenPayload: JWTPayload {
    enum CodingKeys: String, CodingKey {
        case subject = "sub", expiration = "exp", notBefore = "nbf", type
    }

    var subject: SubjectClaim
    var expiration: ExpirationClaim
    var notBefore: NotBeforeClaim
    var type: String

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try expiration.verifyNotExpired()
        try notBefore.verifyNotBefore()
        guard type == "access" else {
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "not an access token")
        }
    }
}

/// Logs in the token's subject, loaded with Fluent; a deleted user stays logged out (401).
struct UserAuthenticator: JWTAuthenticator {
    func authenticate(jwt: AccessTokenPayload, for request: Request) async throws {
        guard let id = Int(jwt.subject.value), let user = try await User.find(id, on: request.db) else { return }
        request.auth.login(user)
    }
}

/// `GET /api/tasks/?status=&page=&per_page=`: the caller's tasks (everyone's for an admin), newest
/// first, paginated by Fluent, in the bundled API's list envelope.
struct TaskController: RouteCollection {
    struct ListQuery: Content {
        var status: String?
        var page: Int?
        var perPage: Int?

        enum CodingKeys: String, CodingKey {
            case status, page
            case perPage = "per_page"
        }
    }

    struct ListResponse: Content {
        struct Meta: Content {
            var page: Int
            var perPage: Int
            var total: Int
            var pages: Int

            enum CodingKeys: String, CodingKey {
                case page, total, pages
                case perPage = "per_page"
            }
        }

        var status = "success"
        var data: [TaskDTO]
        var count: Int
        var meta: Meta
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.grouped("api", "tasks").grouped(UserAuthenticator(), User.guardMiddleware()).get(use: index)
    }

    @Sendable
    func index(req: Request) async throws -> ListResponse {
        let user = try req.auth.require(User.self)
        let params = try req.query.decode(ListQuery.self)
        let page = params.page ?? 1
        let perPage = params.perPage ?? 20
        guard page >= 1, (1...100).contains(perPage) else { throw Abort(.badRequest, reason: "Invalid pagination parameters.") }
        let query = TaskItem.query(on: req.db)
        if !user.isAdmin { query.filter(\.$owner.$id == (try user.requireID())) }
        if let status = params.status {
            guard status == "pending" || status == "completed" else {
                throw Abort(.badRequest, reason: "Invalid status filter. Use 'pending' or 'completed'.")
            }
            query.filter(\.$status == status)
        }
        let result = try await query.sort(\.$createdAt, .descending).sort(\.$id, .descending)
            .paginate(PageRequest(page: page, per: perPage))
        let data = try result.items.map(TaskDTO.init)
        return ListResponse(
            data: data, count: data.count,
            meta: .init(page: page, perPage: perPage, total: result.metadata.total, pages: result.metadata.pageCount))
    }
}
