import Vial

/// Guide section 2, "Variable Rules in Routes".
enum ProductsExample {
    static func make(_ config: AppConfig) -> App {
        let app = App("products", config: config)
        // Any text without a slash is a SKU.
        app.get("/product/<product_sku>", name: "get_product") { req in
            let sku: String = try req.param("product_sku")
            return ["message": .string("Fetching details for product SKU: \(sku)"), "sku": .string(sku)] as JSON
        }
        return app
    }
}
