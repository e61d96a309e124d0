"""Signing in at the console: people's sessions behind a sealed cookie, CSRF on every form, two languages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from console.main import create_app

from arflow.clock import FixedClock

from .conftest import ConsoleFactory, Platform
from .pages import csrf, page, sign_in, text


async def test_the_sign_in_page_is_chinese_and_its_form_carries_a_csrf_token(console: ConsoleFactory) -> None:
    browser = await console()
    response = await browser.get("/")
    assert response.status_code == 200
    doc = page(response)
    assert doc.get("lang") == "zh-CN"
    assert text(doc, "//h1") == "登录"
    assert doc.xpath("//form[@id='sign-in']//input[@name='csrf_token']/@value")[0]
    assert doc.xpath("//script/@src") == ["/static/htmx-2.0.11.min.js"]
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie


async def test_english_when_the_browser_asks_and_the_switch_wins_over_the_browser(console: ConsoleFactory) -> None:
    browser = await console(**{"Accept-Language": "en-GB,en;q=0.9,zh-CN;q=0.5"})
    assert text(page(await browser.get("/")), "//h1") == "Sign in"
    switched = await browser.get("/lang/zh-CN", params={"next": "/"})
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    assert text(page(await browser.get("/")), "//h1") == "登录"
    away = await browser.get("/lang/en", params={"next": "https://evil.example/"})
    assert away.headers["location"] == "/"  # only a path of this site


async def test_a_form_posted_without_the_csrf_token_is_refused(console: ConsoleFactory, platform: Platform) -> None:
    username, password = await platform.person(["collector"])
    browser = await console()
    await browser.get("/")
    refused = await browser.post("/sign-in", data={"username": username, "password": password})
    assert refused.status_code == 403
    assert "页面已过期" in text(page(refused), "//main")
    assert (await browser.get("/worklist")).headers["location"] == "/"  # and nobody is signed in


async def test_a_wrong_password_is_said_in_chinese_and_signs_nobody_in(
    console: ConsoleFactory, platform: Platform
) -> None:
    username, _ = await platform.person(["collector"])
    browser = await console()
    refused = await sign_in(browser, username, "这不是密码 wrong-password")
    assert refused.status_code == 401
    assert text(page(refused), "//p[@role='alert']") == "用户名或密码错误。"
    assert (await browser.get("/worklist")).status_code == 303


async def test_signed_in_the_tokens_stay_sealed_and_sign_out_ends_the_session(
    console: ConsoleFactory, platform: Platform
) -> None:
    username, password = await platform.person(["collector"])
    browser = await console()
    signed = await sign_in(browser, username, password)
    assert signed.status_code == 303 and signed.headers["location"] == "/worklist"
    sealed = browser.cookies["arflow_console"]
    assert "eyJ" not in sealed and "arfr_" not in sealed  # neither token readable in the cookie
    assert (await browser.get("/")).headers["location"] == "/worklist"
    worklist = await browser.get("/worklist")
    assert worklist.status_code == 200
    assert "李娜" in text(page(worklist), "//span[@class='who']")
    out = await browser.post("/sign-out", data={"csrf_token": csrf(worklist)})
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert (await browser.get("/worklist")).headers["location"] == "/"


async def test_a_first_password_leads_to_the_change_password_page_and_then_to_work(
    console: ConsoleFactory, platform: Platform
) -> None:
    username, first = await platform.new_person(["collector"])
    browser = await console()
    signed = await sign_in(browser, username, first)
    assert signed.headers["location"] == "/password"
    assert (await browser.get("/worklist")).headers["location"] == "/password"
    form = await browser.get("/password")
    assert text(page(form), "//h1") == "修改密码"
    differ = await browser.post(
        "/password",
        data={
            "csrf_token": csrf(form),
            "current_password": first,
            "new_password": "一段足够长的新口令 1",
            "confirm_password": "x",
        },
    )
    assert differ.status_code == 422 and "不一致" in text(page(differ), "//p[@role='alert']")
    own = "一段足够长的新口令 2026"
    changed = await browser.post(
        "/password",
        data={"csrf_token": csrf(form), "current_password": first, "new_password": own, "confirm_password": own},
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/worklist"
    assert (await browser.get("/worklist")).status_code == 200  # the refreshed token has the role's scopes
    assert await platform.token(username, own)


async def test_a_sign_in_expires_after_the_console_session_lifetime(platform: Platform) -> None:
    clock = FixedClock(datetime.now(UTC))
    settings = platform.console_settings()
    app = create_app(settings, clock=clock)
    username, password = await platform.person(["collector"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.test") as browser:
        await sign_in(browser, username, password)
        assert (await browser.get("/worklist")).status_code == 200
        clock.advance(timedelta(minutes=settings.console_session_minutes, seconds=1))
        assert (await browser.get("/worklist")).headers["location"] == "/"
    await app.state.backend.close()


async def test_error_pages_speak_the_chosen_language(platform: Platform, console: ConsoleFactory) -> None:
    chinese, english = await console(), await console(**{"Accept-Language": "en"})
    missing = await chinese.get("/no-such-page")
    assert missing.status_code == 404 and text(page(missing), "//h1") == "找不到页面"
    missing = await english.get("/no-such-page")
    assert missing.status_code == 404 and text(page(missing), "//h1") == "Page not found"

    class Broken(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise RuntimeError("a bug in the console's handling of an answer")

    app = create_app(platform.console_settings(), transport=Broken())
    username, password = await platform.person(["collector"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://console.test",
        headers={"Accept-Language": "en"},
    ) as browser:
        failed = await sign_in(browser, username, password)
        assert failed.status_code == 500
        assert text(page(failed), "//h1") == "Something went wrong"
        assert "RuntimeError" not in failed.text
    await app.state.backend.close()


async def test_the_access_token_is_refreshed_before_it_lapses_and_a_signed_out_copy_cannot_refresh(
    platform: Platform,
) -> None:
    clock = FixedClock(datetime.now(UTC))
    app = create_app(platform.console_settings(), clock=clock)
    username, password = await platform.person(["collector"])
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://console.test") as browser,
        httpx.AsyncClient(transport=transport, base_url="http://console.test") as copy,
    ):
        await sign_in(browser, username, password)
        before = browser.cookies["arflow_console"]
        clock.advance(timedelta(minutes=14, seconds=30))  # people's token lives 15 minutes
        assert (await browser.get("/worklist")).status_code == 200
        assert browser.cookies["arflow_console"] != before  # sealed again around the new pair
        copy.cookies.set("arflow_console", browser.cookies["arflow_console"])
        listed = await browser.get("/worklist")
        assert (await browser.post("/sign-out", data={"csrf_token": csrf(listed)})).status_code == 303
        clock.advance(timedelta(minutes=14, seconds=30))
        assert (await copy.get("/worklist")).headers["location"] == "/"  # people refused the refresh
    await app.state.backend.close()


async def test_two_pages_refreshing_at_once_keep_the_session(platform: Platform) -> None:
    clock = FixedClock(datetime.now(UTC))
    app = create_app(platform.console_settings(), clock=clock)
    username, password = await platform.person(["collector"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.test") as browser:
        await sign_in(browser, username, password)
        clock.advance(timedelta(minutes=14, seconds=30))
        # people ends a session whose refresh token is presented twice: only one refresh may go out
        both = await asyncio.gather(browser.get("/worklist"), browser.get("/approvals"))
        assert [r.status_code for r in both] == [200, 200]
        clock.advance(timedelta(minutes=14, seconds=30))
        assert (await browser.get("/worklist")).status_code == 200  # the session still refreshes
    await app.state.backend.close()
