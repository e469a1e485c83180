"""A simulated SMSC SOAP endpoint for the bulk benchmark: every POST gets a canned success answer
after a fixed delay, and nothing else (no parsing, no accounts, no checks), so that the CPU a
benchmark measures in its own process is the client's alone and the server costs the machine
next to nothing. Run ``python bench/sim_server.py DELAY_MS``: prints ``URL: ...`` and serves
until stopped.
"""
from __future__ import annotations

import asyncio
import sys

ANSWER = ('<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV='
          '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="{ns}"><SOAP-ENV:Body><ns1:{element}>'
          '<sendresult><id>1</id><balance>1000</balance><cost>0</cost><cnt>{cnt}</cnt></sendresult>'
          '</ns1:{element}></SOAP-ENV:Body></SOAP-ENV:Envelope>\n')


def answer(url: str, body: bytes) -> bytes:
    element = "Send2Response" if b"send2" in body[:600] else "SendResponse"
    payload = ANSWER.format(ns=url, element=element, cnt=max(1, body.count(b"%0A") + 1)).encode()
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: "
            + str(len(payload)).encode() + b"\r\n\r\n" + payload)


async def main(delay: float) -> None:
    url = ""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                await asyncio.sleep(delay)
                writer.write(answer(url, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=512)
    port = server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/sys/soap.php"
    print(f"URL: {url}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) / 1000 if len(sys.argv) > 1 else 0.05))
