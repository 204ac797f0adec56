namespace Sluice.Gateway.Tests;

/// <summary>OpenAPI documents the tests deploy.</summary>
internal static class Documents
{
    /// <summary>
    /// Mock routes exercising keys, validation, templates and gateway responses. GET /pets needs a
    /// key; POST /pets validates its body against the Pet model (which $refs Category).
    /// </summary>
    public const string Pets = """
        {
          "openapi": "3.0.1",
          "info": { "title": "Pets", "version": "1" },
          "x-amazon-apigateway-request-validators": {
            "all": { "validateRequestBody": true, "validateRequestParameters": true },
            "params": { "validateRequestBody": false, "validateRequestParameters": true }
          },
          "x-amazon-apigateway-gateway-responses": {
            "BAD_REQUEST_BODY": {
              "statusCode": 422,
              "responseParameters": { "gatewayresponse.header.x-problem": "'body'" },
              "responseTemplates": { "application/json": "{\"error\": $context.error.messageString, \"detail\": \"$util.escapeJavaScript($context.error.validationErrorString)\", \"type\": \"$context.error.responseType\"}" }
            }
          },
          "paths": {
            "/pets": {
              "get": {
                "security": [ { "api_key": [] } ],
                "parameters": [
                  { "name": "type", "in": "query", "required": true, "schema": { "type": "string" } },
                  { "name": "x-tenant", "in": "header", "required": true, "schema": { "type": "string" } }
                ],
                "x-amazon-apigateway-request-validator": "params",
                "x-amazon-apigateway-integration": {
                  "type": "mock",
                  "requestTemplates": { "application/json": "{\"statusCode\": 200}" },
                  "responses": {
                    "default": {
                      "statusCode": "200",
                      "responseParameters": { "method.response.header.x-stage": "stageVariables.color" },
                      "responseTemplates": {
                        "application/json": "{\"type\": \"$input.params('type')\", \"tenant\": \"$input.params().header.get('x-tenant')\", \"stage\": \"$context.stage\", \"color\": \"$stageVariables.color\", \"keyId\": \"$context.identity.apiKeyId\", \"path\": \"$context.resourcePath\"}",
                        "application/xml": "<pets type=\"$input.params('type')\"/>"
                      }
                    }
                  }
                }
              },
              "post": {
                "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Pet" } } } },
                "x-amazon-apigateway-request-validator": "all",
                "x-amazon-apigateway-integration": {
                  "type": "mock",
                  "passthroughBehavior": "never",
                  "requestTemplates": { "application/json": "#if($input.path('$.name') == 'missing')\n{\"statusCode\": 404}\n#else\n{\"statusCode\": 201}\n#end" },
                  "responses": {
                    "201": {
                      "statusCode": "201",
                      "responseTemplates": { "application/json": "{\"created\": true, \"stage\": \"$context.stage\"}" }
                    },
                    "404": { "statusCode": "404", "responseTemplates": { "application/json": "{\"message\": \"no such pet\"}" } }
                  }
                }
              }
            },
            "/pets/{petId}": {
              "get": {
                "x-amazon-apigateway-integration": {
                  "type": "mock",
                  "requestTemplates": { "application/json": "{\"statusCode\": 200}" },
                  "responses": {
                    "default": {
                      "statusCode": "200",
                      "responseTemplates": { "application/json": "#set($context.responseOverride.status = 299)#set($context.responseOverride.header.x-pet = \"$input.params('petId')\"){\"id\": \"$input.params('petId')\", \"n\": $util.parseJson('{\"a\":[1,2,3]}').a.size()}" }
                    }
                  }
                }
              }
            },
            "/loop": {
              "get": {
                "x-amazon-apigateway-integration": {
                  "type": "mock",
                  "requestTemplates": { "application/json": "#foreach($i in [1..10000000])x#end" },
                  "responses": { "default": { "statusCode": "200" } }
                }
              }
            }
          },
          "components": {
            "securitySchemes": { "api_key": { "type": "apiKey", "name": "x-api-key", "in": "header" } },
            "schemas": {
              "Category": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string", "minLength": 1 } } },
              "Pet": {
                "type": "object",
                "required": ["name", "category"],
                "properties": {
                  "name": { "type": "string" },
                  "price": { "type": "number", "minimum": 0 },
                  "category": { "$ref": "#/components/schemas/Category" }
                }
              }
            }
          }
        }
        """;

    /// <summary>A document with many problems at once.</summary>
    public const string Broken = """
        openapi: 3.0.1
        info:
          title: Broken
          version: "1"
        x-amazon-apigateway-api-key-source: COOKIE
        x-amazon-apigateway-gateway-responses:
          NOT_A_TYPE:
            statusCode: 400
        paths:
          /a:
            get:
              x-amazon-apigateway-request-validator: nope
              x-amazon-apigateway-integration:
                type: lambda
                timeoutInMillis: 99999
          /b:
            post:
              x-amazon-apigateway-integration:
                type: mock
                passthroughBehavior: sometimes
                requestTemplates:
                  application/json: "#if($x"
                responses:
                  "[unclosed":
                    statusCode: "abc"
          /c:
            get:
              responses:
                "200":
                  description: ok
        components:
          schemas:
            Bad:
              type: 12
        """;

    /// <summary>A one-route mock API in YAML whose response shows the stage variable "greeting".</summary>
    public static string Hello(string greeting = "hello") => $$"""
        openapi: 3.0.1
        info:
          title: Hello
          version: "2"
        paths:
          /hello:
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{"statusCode": 200}'
                responses:
                  default:
                    statusCode: "200"
                    responseTemplates:
                      application/json: '{"say": "{{greeting}} $stageVariables.who"}'
        """;

    /// <summary>A route behind a key with no templates, for throttle and quota tests.</summary>
    public const string Metered = """
        openapi: 3.0.1
        info:
          title: Metered
          version: "1"
        paths:
          /items:
            get:
              security:
                - api_key: []
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{"statusCode": 200}'
                responses:
                  default:
                    statusCode: "200"
          /other:
            get:
              security:
                - api_key: []
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{"statusCode": 200}'
                responses:
                  default:
                    statusCode: "200"
        components:
          securitySchemes:
            api_key:
              type: apiKey
              name: x-api-key
              in: header
        """;

    /// <summary>http and http_proxy integrations to <paramref name="backend"/>, and one with a 200 ms timeout.</summary>
    public static string Http(string backend) => $$"""
        openapi: 3.0.1
        info:
          title: Http
          version: "1"
        paths:
          /orders/{id}:
            get:
              x-amazon-apigateway-integration:
                type: http
                httpMethod: POST
                uri: {{backend}}/echo/{orderId}
                requestParameters:
                  integration.request.path.orderId: method.request.path.id
                  integration.request.querystring.source: "'gateway'"
                  integration.request.header.x-stage: stageVariables.env
                requestTemplates:
                  application/json: '{"order": "$input.params(''id'')", "verbose": "$input.params(''verbose'')"}'
                responses:
                  "2\\d{2}":
                    statusCode: "200"
                    responseTemplates:
                      application/json: '{"backend": $input.json(''$''), "status": "ok"}'
                  "4\\d{2}":
                    statusCode: "400"
          /proxy/{proxy+}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: {{backend}}/{proxy}
          /slow:
            get:
              x-amazon-apigateway-integration:
                type: http
                httpMethod: GET
                uri: {{backend}}/slow
                timeoutInMillis: 300
        """;
}
