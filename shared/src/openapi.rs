//! The OpenAPI 3.1 description of the API (feature `openapi`, for the server's
//! `/api/v1/openapi.json`), built from the one endpoint table of [`crate::api`]: every path, its
//! parameters, bodies, answers, problem+json errors and who may call it. The schemas come from
//! the same types the server and the widget exchange.

use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, OpenApi, OpenApiBuilder, Paths,
    RefOr, Required, ResponseBuilder, Schema,
};
use utoipa::{PartialSchema, ToSchema};

use crate::api::{Endpoint, Method};
use crate::site::SiteId;
use crate::validate::{BoundedText, CustomerNumber, EmailAddress, VerificationCode};

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

macro_rules! string_schema {
    ($type:ty, $schema:expr) => {
        impl PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }
        impl ToSchema for $type {}
    };
}

string_schema!(
    SiteId,
    string("A site of the group.").enum_values(Some(crate::site::all().into_iter().map(|s| s.id)))
);
string_schema!(
    EmailAddress,
    string("An e-mail address.").format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
);
string_schema!(
    CustomerNumber,
    string("A Virtio customer number.")
        .pattern(Some("^[A-Za-z0-9-]{1,32}$"))
        .max_length(Some(32))
);
string_schema!(
    VerificationCode,
    string("The 6-digit code from the e-mail.").pattern(Some("^[0-9]{6}$"))
);
string_schema!(
    crate::SubjectId,
    string("A random (version 4) UUID naming one browser's consent, never a person.")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .pattern(Some(UUID_V4))
);

/// A UUID as the API writes them, and a random (version 4) one.
const UUID: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
const UUID_V4: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// The schema of a path or query parameter. The API gives each parameter name one meaning, so
/// the name decides; a name not listed here is a test failure (`every_parameter_has_a_schema`).
fn parameter_schema(name: &str) -> Option<RefOr<Schema>> {
    let uuid = || {
        string("A UUID.")
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .pattern(Some(UUID))
            .into()
    };
    Some(match name {
        "site" => SiteId::schema(),
        "subject" => crate::SubjectId::schema(),
        "event_id" | "id" | "request" => uuid(),
        "lang" => string("`nl` or `en`.")
            .enum_values(Some(["nl", "en"]))
            .into(),
        "version" => string("A policy version, the date it took effect.")
            .pattern(Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
            .into(),
        _ => return None,
    })
}

impl<const MAX: usize> PartialSchema for BoundedText<MAX> {
    fn schema() -> RefOr<Schema> {
        string("Text without control characters, trimmed, not empty.")
            .min_length(Some(1))
            .max_length(Some(MAX))
            .pattern(Some(crate::validate::BOUNDED_TEXT_PATTERN))
            .into()
    }
}

impl<const MAX: usize> ToSchema for BoundedText<MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("BoundedText{MAX}").into()
    }
}

/// A string type of [`crate::validate`] with its pattern, described as the parser checks it.
macro_rules! pattern_schema {
    ($type:ty, $name:literal, $description:literal, $min:expr, $max:expr, $pattern:expr) => {
        impl PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                string($description)
                    .min_length($min)
                    .max_length($max)
                    .pattern(Some($pattern))
                    .into()
            }
        }
        impl ToSchema for $type {
            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }
        }
    };
}

pattern_schema!(
    crate::validate::FileName,
    "FileName",
    "A file name without a path: no `/` or `\\`, no control character, no leading `.`, no white space at either end.",
    Some(1),
    Some(crate::validate::FileName::MAX),
    crate::validate::FILE_NAME_PATTERN
);
pattern_schema!(
    crate::validate::MediaType,
    "MediaType",
    "A media type such as `application/pdf`, parameters after `;` allowed.",
    Some(1),
    Some(crate::validate::MediaType::MAX),
    crate::validate::MEDIA_TYPE_PATTERN
);
pattern_schema!(
    crate::validate::Base64,
    "Base64",
    "Bytes as standard base64 with padding (empty for an empty file).",
    None,
    None,
    crate::validate::BASE64_PATTERN
);

/// Who may call a path, by its place in the API.
fn security(path: &str) -> Option<&'static str> {
    if path.starts_with("/api/v1/admin/")
        && !path.ends_with("/login")
        && !path.ends_with("/enrollment")
    {
        Some("staff_session")
    } else if path.starts_with("/api/v1/me/") {
        Some("identity_token")
    } else if path.starts_with("/api/v1/requests/{id}") {
        Some("status_token")
    } else {
        None
    }
}

/// Collects the operations of the endpoint table into a document.
pub struct Builder {
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl Builder {
    fn new() -> Self {
        Self {
            paths: Paths::new(),
            schemas: Vec::new(),
        }
    }

    /// The schema of a body: a reference to a named component, or inline for an array of them.
    fn body<T: ToSchema>(&mut self) -> RefOr<Schema> {
        <T as ToSchema>::schemas(&mut self.schemas);
        match T::schema() {
            schema @ RefOr::T(Schema::Array(_)) => schema,
            schema => {
                let name = T::name().into_owned();
                self.schemas.push((name.clone(), schema));
                RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name))
            }
        }
    }

    /// Adds endpoint `E`: its path and query parameters, its body, its answer and its errors.
    pub fn add<E>(&mut self)
    where
        E: Endpoint,
        E::Request: ToSchema + 'static,
        E::Response: ToSchema + 'static,
    {
        let unit = |t: std::any::TypeId| t == std::any::TypeId::of::<()>();
        let no_body = unit(std::any::TypeId::of::<E::Request>());
        let no_answer = unit(std::any::TypeId::of::<E::Response>());
        let (method, success) = match (E::METHOD, E::PATH) {
            (Method::Get, _) => (HttpMethod::Get, "200"),
            (Method::Put, _) => (HttpMethod::Put, "200"),
            (Method::Post, "/api/v1/consents" | "/api/v1/requests") => (HttpMethod::Post, "201"),
            (Method::Post, _) => (HttpMethod::Post, "200"),
        };
        let summary = E::DOC.trim();
        let mut operation = OperationBuilder::new()
            .operation_id(Some(E::NAME))
            .summary(Some(summary))
            .tag(if E::PATH.starts_with("/api/v1/admin") {
                "admin"
            } else {
                "public"
            })
            .response(
                if no_answer { "204" } else { success },
                if no_answer {
                    ResponseBuilder::new().description(summary).build()
                } else {
                    ResponseBuilder::new()
                        .description(summary)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(self.body::<E::Response>()))
                                .build(),
                        )
                        .build()
                },
            )
            .response(
                "default",
                ResponseBuilder::new()
                    .description("An RFC 9457 problem with a stable `type`")
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                                "Problem",
                            ))))
                            .build(),
                    )
                    .build(),
            );
        for name in path_parameters(E::PATH) {
            operation = operation.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(parameter_schema(name)),
            );
        }
        for (name, description, required) in E::QUERY {
            operation = operation.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Query)
                    .required(if *required {
                        Required::True
                    } else {
                        Required::False
                    })
                    .description(Some(*description))
                    .schema(parameter_schema(name)),
            );
        }
        if E::METHOD != Method::Get && !no_body {
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(self.body::<E::Request>()))
                            .build(),
                    )
                    .build(),
            ));
        }
        if let Some(scheme) = security(E::PATH) {
            operation = operation.security(SecurityRequirement::new::<_, _, String>(scheme, []));
        }
        self.paths
            .add_path_operation(E::PATH, vec![method], operation.build());
    }
}

fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

/// The whole description.
pub fn document() -> OpenApi {
    let mut builder = Builder::new();
    for add in crate::api::ALL_ENDPOINTS {
        add(&mut builder);
    }
    let mut schemas = builder.schemas;
    schemas.push((crate::Problem::name().into(), crate::Problem::schema()));
    crate::Problem::schemas(&mut schemas);
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme(
            "staff_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::wire::STAFF_SESSION_COOKIE,
                "The HttpOnly session cookie set by POST /api/v1/admin/login",
            ))),
        )
        .security_scheme(
            "identity_token",
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT the interface app signs (EdDSA, ES256 or HS256 as configured): \
                         sub, email, aud (the site), iss, iat, exp",
                    ))
                    .build(),
            ),
        )
        .security_scheme(
            "status_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Virtio Privacy API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Consent ledger with proof, rights requests and the admin console's API. \
                     Bearer tokens are a customer's identity token (a JWT the interface app signs) \
                     on /me paths and a request's status token on /requests/{id} paths.",
                ))
                .build(),
        )
        .paths(builder.paths)
        .components(Some(components))
        .build()
}
