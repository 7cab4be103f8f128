//! Consent statistics per site and purpose over time, drawn by the console as SVG (no chart
//! library, no canvas): the choices per day by kind as stacked bars, and per purpose the share of
//! the day's choices that consent to it as lines. Each chart has its numbers as a table too.

use privacy_shared::api::endpoints;
use privacy_shared::wire::ConsentStats;
use privacy_shared::{ConsentKind, PurposeId, SiteId};
use std::collections::{BTreeMap, BTreeSet};
use yew::prelude::*;

use crate::i18n::kind_label;
use crate::ui::{Load, date, event_value, pending, use_ctx, use_load};

/// Colours told apart by people with the common colour-vision deficiencies (Okabe–Ito).
const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8a6d00",
];

const KINDS: [ConsentKind; 6] = [
    ConsentKind::AcceptAll,
    ConsentKind::RejectAll,
    ConsentKind::Custom,
    ConsentKind::Withdraw,
    ConsentKind::Gpc,
    ConsentKind::Expired,
];

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 8.0;

/// One line or one layer of bars.
struct Series {
    label: String,
    colour: &'static str,
    values: Vec<Option<f64>>,
}

fn x_labels(days: &[time::Date]) -> Html {
    let step = (days.len() / 6).max(1);
    let width = (WIDTH - LEFT) / days.len().max(1) as f64;
    html! {
        { for days.iter().enumerate().filter(|(i, _)| i % step == 0).map(|(i, day)| html! {
            <text x={format!("{:.1}", LEFT + width * (i as f64 + 0.5))} y={format!("{}", HEIGHT - 8.0)}
                text-anchor="middle" font-size="11">{ format!("{:02}-{:02}", day.day(), u8::from(day.month())) }</text>
        }) }
    }
}

fn y_axis(max: f64, unit: &str) -> Html {
    let plot = HEIGHT - BOTTOM - TOP;
    html! {
        { for (0..=4).map(|i| {
            let value = max * f64::from(i) / 4.0;
            let y = TOP + plot - plot * f64::from(i) / 4.0;
            html! {
                <g>
                    <line x1={LEFT.to_string()} x2={WIDTH.to_string()} y1={format!("{y:.1}")} y2={format!("{y:.1}")}
                        stroke="#ccc" stroke-width="1" />
                    <text x={format!("{}", LEFT - 4.0)} y={format!("{:.1}", y + 4.0)} text-anchor="end" font-size="11">
                        { format!("{}{unit}", value.round()) }
                    </text>
                </g>
            }
        }) }
    }
}

fn legend(series: &[Series]) -> Html {
    html! {
        <ul class="legend" aria-hidden="true">
            { for series.iter().map(|s| html! {
                // A presentation attribute, not a style: the CSP allows no inline styles.
                <li><svg class="swatch" viewBox="0 0 12 12" width="12" height="12"><rect width="12" height="12" fill={s.colour} /></svg>{ &s.label }</li>
            }) }
        </ul>
    }
}

/// Stacked bars: one bar per day, one layer per series.
fn bars(id: &str, title: &str, days: &[time::Date], series: &[Series]) -> Html {
    let totals: Vec<f64> = (0..days.len())
        .map(|d| series.iter().filter_map(|s| s.values[d]).sum())
        .collect();
    // Four grid steps of whole events.
    let max = (totals.iter().copied().fold(1.0_f64, f64::max) / 4.0).ceil() * 4.0;
    let plot = HEIGHT - BOTTOM - TOP;
    let width = (WIDTH - LEFT) / days.len().max(1) as f64;
    let bar = (width * 0.7).min(40.0);
    let mut rects = Vec::new();
    for (d, _) in days.iter().enumerate() {
        let mut base = 0.0;
        for s in series {
            let value = s.values[d].unwrap_or(0.0);
            if value > 0.0 {
                let height = plot * value / max;
                let y = TOP + plot - plot * base / max - height;
                rects.push(html! {
                    <rect x={format!("{:.1}", LEFT + width * (d as f64 + 0.5) - bar / 2.0)} y={format!("{y:.1}")}
                        width={format!("{bar:.1}")} height={format!("{height:.1}")} fill={s.colour} />
                });
            }
            base += value;
        }
    }
    html! {
        <figure class="chart">
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-labelledby={format!("{id}-title")}
                data-admin={id.to_owned()}>
                <title id={format!("{id}-title")}>{ title }</title>
                { y_axis(max, "") }
                { for rects }
                { x_labels(days) }
            </svg>
            { legend(series) }
        </figure>
    }
}

/// Lines: one per series, values from 0 to 100 %.
fn lines(id: &str, title: &str, days: &[time::Date], series: &[Series]) -> Html {
    let plot = HEIGHT - BOTTOM - TOP;
    let width = (WIDTH - LEFT) / days.len().max(1) as f64;
    html! {
        <figure class="chart">
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-labelledby={format!("{id}-title")}
                data-admin={id.to_owned()}>
                <title id={format!("{id}-title")}>{ title }</title>
                { y_axis(100.0, "%") }
                { for series.iter().map(|s| {
                    let points: Vec<String> = s.values.iter().enumerate()
                        .filter_map(|(d, v)| v.map(|v| format!("{:.1},{:.1}",
                            LEFT + width * (d as f64 + 0.5), TOP + plot - plot * v / 100.0)))
                        .collect();
                    html! {
                        <g>
                            <polyline points={points.join(" ")} fill="none" stroke={s.colour} stroke-width="2" />
                            { for points.iter().map(|p| {
                                let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
                                html! { <circle cx={x.to_owned()} cy={y.to_owned()} r="3" fill={s.colour} /> }
                            }) }
                        </g>
                    }
                }) }
                { x_labels(days) }
            </svg>
            { legend(series) }
        </figure>
    }
}

/// The chart's numbers, for reading them exactly and for screen readers.
fn table(
    caption: &str,
    day_label: &str,
    days: &[time::Date],
    series: &[Series],
    unit: &str,
) -> Html {
    html! {
        <div class="table" role="region" aria-label={caption.to_owned()} tabindex="0">
            <table>
                <caption>{ caption }</caption>
                <thead><tr>
                    <th scope="col">{ day_label }</th>
                    { for series.iter().map(|s| html! { <th scope="col">{ &s.label }</th> }) }
                </tr></thead>
                <tbody>
                    { for days.iter().enumerate().map(|(d, day)| html! {
                        <tr>
                            <th scope="row">{ date(*day) }</th>
                            { for series.iter().map(|s| html! {
                                <td>{ s.values[d].map_or_else(|| "—".to_owned(), |v| format!("{}{unit}", v.round())) }</td>
                            }) }
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn Stats() -> Html {
    let ctx = use_ctx();
    let t = ctx.t();
    let language = ctx.language;
    let site = use_state(String::new);
    let (stats, reload) = use_load((), {
        let ctx = ctx.clone();
        move |()| {
            let ctx = ctx.clone();
            async move { ctx.call::<endpoints::AdminStats>(&[], None).await }
        }
    });

    let content = match &stats {
        Load::Ready(stats) => charts(stats, &site, language),
        other => pending(other, t, &reload),
    };
    let sites: BTreeSet<&'static str> = match &stats {
        Load::Ready(stats) => stats.kinds.iter().map(|r| r.site.as_str()).collect(),
        _ => BTreeSet::new(),
    };
    let onsite = {
        let site = site.clone();
        Callback::from(move |e: Event| site.set(event_value(&e)))
    };
    html! {
        <main>
            <h1 tabindex="-1">{ t.stats_title }</h1>
            <p>{ t.stats_intro }</p>
            <div class="filters">
                <div>
                    <label for="stats-site">{ t.site }</label>
                    <select id="stats-site" data-admin="stats-site" onchange={onsite}>
                        <option value="" selected={site.is_empty()}>{ t.all }</option>
                        { for sites.iter().map(|s| html! {
                            <option value={*s} selected={*site == *s}>{ *s }</option>
                        }) }
                    </select>
                </div>
            </div>
            { content }
        </main>
    }
}

fn charts(stats: &ConsentStats, site: &str, language: privacy_shared::Language) -> Html {
    let t = crate::i18n::texts(language);
    let on_site = |s: SiteId| site.is_empty() || s.as_str() == site;
    let days: Vec<time::Date> = stats
        .kinds
        .iter()
        .filter(|r| on_site(r.site))
        .map(|r| r.day)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if days.is_empty() {
        return html! { <p data-admin="stats-empty">{ t.no_events }</p> };
    }
    let index: BTreeMap<time::Date, usize> =
        days.iter().enumerate().map(|(i, d)| (*d, i)).collect();

    let kinds: Vec<Series> = KINDS
        .iter()
        .enumerate()
        .filter_map(|(i, &kind)| {
            let rows: Vec<_> = stats
                .kinds
                .iter()
                .filter(|r| r.kind == kind && on_site(r.site))
                .collect();
            (!rows.is_empty()).then(|| {
                let mut values = vec![Some(0.0); days.len()];
                for row in rows {
                    if let Some(v) = values[index[&row.day]].as_mut() {
                        *v += row.events as f64;
                    }
                }
                Series {
                    label: kind_label(kind, language).to_owned(),
                    colour: PALETTE[i],
                    values,
                }
            })
        })
        .collect();

    let mut per_purpose: BTreeMap<PurposeId, Vec<(f64, f64)>> = BTreeMap::new();
    for row in stats
        .purposes
        .iter()
        .filter(|r| on_site(r.site) && !r.purpose.is_locked())
    {
        if let Some(&d) = index.get(&row.day) {
            let cell = &mut per_purpose
                .entry(row.purpose)
                .or_insert_with(|| vec![(0.0, 0.0); days.len()])[d];
            cell.0 += row.granted as f64;
            cell.1 += row.refused as f64;
        }
    }
    let shares: Vec<Series> = per_purpose
        .into_iter()
        .enumerate()
        .map(|(i, (purpose, cells))| Series {
            label: purpose.label(language).to_owned(),
            colour: PALETTE[i % PALETTE.len()],
            values: cells
                .into_iter()
                .map(|(granted, refused)| {
                    (granted + refused > 0.0).then(|| 100.0 * granted / (granted + refused))
                })
                .collect(),
        })
        .collect();

    html! {
        <>
            <h2>{ t.kinds_chart }</h2>
            { bars("chart-kinds", t.kinds_chart, &days, &kinds) }
            { table(t.kinds_chart, t.day, &days, &kinds, "") }
            <h2>{ t.share_chart }</h2>
            { lines("chart-share", t.share_chart, &days, &shares) }
            { table(t.share_chart, t.day, &days, &shares, "%") }
        </>
    }
}
