// A vendor's event endpoint (npm install standardwebhooks; SIGNING_SECRET=whsec_... node endpoint.js)
const http = require("node:http");
const { Webhook } = require("standardwebhooks");
const webhook = new Webhook(process.env.SIGNING_SECRET); // shown once, when the configuration is created

http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    try {
      const event = webhook.verify(Buffer.concat(chunks), req.headers); // throws unless signed
      console.log(event.type, event.id); // act on it here (or answer 202 and use event.result_url)
      res.writeHead(200).end();
    } catch {
      res.writeHead(401).end();
    }
  });
}).listen(Number(process.env.PORT || 3000));
