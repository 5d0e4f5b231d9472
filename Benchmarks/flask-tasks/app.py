"""The bundled API's `GET /api/tasks/?per_page=20` written as the Flask guide
(../shared/seed/flask-api-guide.txt) writes it: Flask-SQLAlchemy models over the tables Vial
made, Flask-JWT-Extended's `jwt_required` with a user lookup, `paginate` for the page and its
COUNT, and `jsonify` of `to_dict()`s. The reference Benchmarks/peers.py measures Vial against
(`--flask`), under gunicorn with 4 sync workers:

    pip install -r Benchmarks/flask-tasks/requirements.txt
    DATABASE_URL=sqlite:////abs/path/t.db JWT_SECRET_KEY=... \\
        gunicorn -w 4 -b 127.0.0.1:PORT --chdir Benchmarks/flask-tasks app:app

`DATABASE_URL` may name PostgreSQL instead (`postgresql://user@host:port/db`, read through psycopg 3).

Like the Swift peers it only reads the database, queries the user on every request, checks no
blocklist and writes no access log (gunicorn's is off unless asked for).
"""
import os

from flask import Flask, jsonify, request
from flask_jwt_extended import JWTManager, current_user, jwt_required
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
app.config["JWT_SECRET_KEY"] = os.environ["JWT_SECRET_KEY"]
db = SQLAlchemy(app)
jwt = JWTManager(app)


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String, nullable=False)
    email = db.Column(db.String, nullable=False)
    role = db.Column(db.String, nullable=False)


class Task(db.Model):
    __tablename__ = "tasks"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String, nullable=False)
    description = db.Column(db.String)
    status = db.Column(db.String, nullable=False)
    due_date = db.Column(db.String)
    owner_id = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.String, nullable=False)
    updated_at = db.Column(db.String, nullable=False)

    def to_dict(self):
        return {
            "id": self.id, "title": self.title, "description": self.description, "status": self.status,
            "due_date": self.due_date, "owner_id": self.owner_id, "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@jwt.user_lookup_loader
def load_user(_header, payload):
    return db.session.get(User, int(payload["sub"]))


@app.get("/health")
def health():
    return "", 200


@app.get("/api/tasks/")
@jwt_required()
def list_tasks():
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", 20, type=int)
    status = request.args.get("status")
    if page < 1 or not 1 <= per_page <= 100 or status not in (None, "pending", "completed"):
        return jsonify({"status": "error", "message": "Bad status, page or per_page"}), 400
    query = Task.query
    if current_user.role != "admin":
        query = query.filter_by(owner_id=current_user.id)
    if status:
        query = query.filter_by(status=status)
    pagination = query.order_by(Task.created_at.desc(), Task.id.desc()).paginate(
        page=page, per_page=per_page, error_out=False)
    return jsonify({
        "status": "success", "data": [task.to_dict() for task in pagination.items], "count": len(pagination.items),
        "meta": {"page": page, "per_page": per_page, "total": pagination.total, "pages": pagination.pages},
    })
