//! Categories from a feed's words. The feed's own taxonomy is not ours, so its term names
//! are read as words too. A keyword matches whole words only, and a trailing `*` lets it
//! stand for the start of a word (`walk*`: walk, walks, walking), so that "art" is not
//! found in "start", "sport" in "transport" nor "tenan" in "maintenance".

use socialrx_domain::directory::Category;

/// Each category and the keywords that put a service in it, in the order categories are
/// listed on an imported activity.
const KEYWORDS: &[(Category, &[&str])] = &[
    (
        Category::ArtsAndCrafts,
        &[
            "craft*", "art", "arts", "artist*", "knit*", "crochet*", "painting", "pottery",
            "sewing",
        ],
    ),
    (
        Category::PhysicalActivity,
        &[
            "walk*",
            "exercise*",
            "sport",
            "sports",
            "football",
            "fitness",
            "swim*",
            "yoga",
            "tai chi",
            "danc*",
            "gym",
        ],
    ),
    (
        Category::NatureAndGardening,
        &[
            "garden*",
            "allotment*",
            "nature",
            "outdoor*",
            "planting",
            "conservation",
        ],
    ),
    (
        Category::SocialGroupsAndBefriending,
        &[
            "befriend*",
            "social group*",
            "coffee morning*",
            "lunch club*",
            "lonel*",
            "friendship*",
        ],
    ),
    (
        Category::LearningAndLocalHistory,
        &[
            "history",
            "historic*",
            "librar*",
            "learn*",
            "course",
            "courses",
            "reading",
        ],
    ),
    (Category::Volunteering, &["volunteer*"]),
    (
        Category::MoneyAndBenefitsAdvice,
        &["benefit*", "debt*", "money", "financ*", "welfare"],
    ),
    (
        Category::Housing,
        &[
            "housing",
            "homeless*",
            "tenant*",
            "tenancy",
            "tenancies",
            "accommodation",
        ],
    ),
    (Category::CarersSupport, &["carer", "carers"]),
    (
        Category::MentalHealthSupport,
        &[
            "mental health",
            "wellbeing",
            "anxiety",
            "depression",
            "counselling",
        ],
    ),
    (
        Category::DomesticAbuseSupport,
        &["domestic abuse", "domestic violence", "refuge"],
    ),
    (
        Category::FoodAndCooking,
        &["food*", "cook*", "meal", "meals", "nutrition*"],
    ),
    (
        Category::EmploymentAndSkills,
        &["employ*", "job", "jobs", "skills", "training", "career*"],
    ),
    (
        Category::FamilyActivities,
        &[
            "family", "families", "child", "children", "parent*", "toddler*",
        ],
    ),
];

/// The categories whose keywords `text` holds, in `KEYWORDS` order.
pub(super) fn categories(text: &str) -> Vec<Category> {
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    KEYWORDS
        .iter()
        .filter(|(_, keys)| keys.iter().any(|k| has_keyword(&words, k)))
        .map(|(c, _)| *c)
        .collect()
}

/// Whether `words` hold `keyword`'s words in a row; a `*` at the end of the keyword's
/// last word matches any word starting with what comes before it.
pub(super) fn has_keyword(words: &[String], keyword: &str) -> bool {
    let keys: Vec<&str> = keyword.split(' ').collect();
    words.windows(keys.len()).any(|run| {
        run.iter()
            .zip(&keys)
            .all(|(word, key)| match key.strip_suffix('*') {
                Some(stem) => word.starts_with(stem),
                None => word == key,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::strip_html;

    /// Names and descriptions as the North Lincolnshire feed (December 2024) has them.
    #[test]
    fn categories_match_whole_words_in_real_descriptions() {
        use Category::*;
        let of = |name: &str, html: &str| categories(&format!("{name} {}", strip_html(html)));
        // "tenan" is in "maintenance": this is not a housing service.
        assert_eq!(
            of(
                "Tree planting in North Lincolnshire",
                "<p>TCV (The Conservation Volunteers) Hull and Humber&nbsp;plants thousands of \
                 trees around North Lincolnshire, Hull and East Riding&nbsp;each year apart of \
                 Humber Forest. Humber forest is 1 of 15 Community Forests in England.</p><p>From \
                 November to March we get out with volunteers, community groups and businesses \
                 to&nbsp;plant&nbsp;new&nbsp;woodland and&nbsp;hedgerows. Through spring and \
                 summer we also go back and complete&nbsp;tree maintenance to boost the survival \
                 rate of the trees planted.</p><p>Join in, get active and make a difference in \
                 your local community!</p>"
            ),
            vec![NatureAndGardening, Volunteering]
        );
        // "art " is in "part of" ...
        assert_eq!(
            of(
                "Coffee Morning",
                "<p>Free&nbsp;weekly coffee morning for anyone who may feel lonely, isolated \
                 or who would like to meet new friends and become part of the community.</p>"
            ),
            vec![SocialGroupsAndBefriending]
        );
        // ... and in "Mario Kart".
        assert_eq!(
            of(
                "Scunthorpe Video Games Club",
                "<p>Weekly gaming sessions at Scunthorpe Central on Saturdays, 10.30am - \
                 12.45pm.</p><p>The sessions are free to attend and are run by local gaming \
                 volunteers. Only family friendly video games including popular favourites \
                 Mario Kart and Super Smash Bros. No staff are present at the sessions as it is \
                 a volunteer led group.</p><p>No booking required, just drop in.</p>"
            ),
            vec![Volunteering, FamilyActivities]
        );
        // Stems still find their words.
        assert_eq!(
            of(
                "Young Onset Dementia Carers Peer Support group",
                "<p>An online peer to Peer Support Group for family members caring for a loved \
                 one with Young Onset Dementia.</p>"
            ),
            vec![CarersSupport, FamilyActivities]
        );
    }
}
